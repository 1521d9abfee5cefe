import { demoCards } from '../db/seed';
import { insertVirtualCard } from '../test-support/pcscd';
import { expect, test } from './fixtures';
import { logInAndWaitForOverview } from './helpers';

test('support sees the connected agent with its readers, and card changes arrive live', async ({
  page,
  system,
}) => {
  await logInAndWaitForOverview(page, 'support');
  await page.getByRole('link', { name: 'Support' }).click();
  await expect(page.getByTestId('live-state')).toHaveText('Live');

  const agent = page.getByTestId('agent-row').filter({ hasText: 'Demo-dator (virtuell kortläsare)' });
  await expect(agent).toBeVisible();
  await expect(agent).toContainText('Carina Svensson Andersson');
  const slot0 = agent.getByTestId('reader').filter({ hasText: 'Virtual PCD 00 00' });
  const slot1 = agent.getByTestId('reader').filter({ hasText: 'Virtual PCD 00 01' });
  await expect(slot0).toContainText('Kort i läsaren');
  // The serial the app read from the card's CHUID, so support sees which card sits where.
  await expect(slot0).toContainText(demoCards.lockedOrdinary);
  await expect(slot1).toContainText('Inget kort');

  const card = await insertVirtualCard({
    stateDir: system.cardStateDir,
    serial: demoCards.reserveNoOrder,
    slot: 1,
  });
  await expect(slot1).toContainText('Kort i läsaren');
  await expect(slot1).toContainText(demoCards.reserveNoOrder);
  await card.remove();
  await expect(slot1).toContainText('Inget kort');
});
