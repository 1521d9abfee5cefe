import { describe, expect, it } from 'vitest';
import { jobSteps } from '../../protocol/jobs';
import { encodePin } from '../piv/pin';
import { type FakeCard, withSlotKey } from './fake-readers';
import { happyTrail, type JobKit, READER, startJobKit } from './plan-test-kit';

const SERIAL = '9752269885719985027';
const OLD_PIN = '482913';
const PUK = '86420975';
const NEW_PIN = '7351946';

/** A card whose PIN is blocked, with a card-authentication key in 9E. */
async function lockedCard(): Promise<FakeCard> {
  return withSlotKey({ serial: SERIAL, pin: OLD_PIN, triesLeft: 0, puk: PUK }, '9e');
}

async function unlockKit(prepare: (kit: JobKit) => void = () => {}, assistedBy?: string) {
  const card = await lockedCard();
  const kit = startJobKit(card);
  kit.server.secrets = { puk: PUK };
  prepare(kit);
  const offer = kit.server.offer({
    kind: 'unlock',
    cardSerial: SERIAL,
    ...(assistedBy ? { assistedBy } : {}),
  });
  expect(await kit.runner.offer(offer)).toEqual({ accepted: true });
  return { card, kit, offer };
}

describe('unlock job', () => {
  it('proves the card with 9E, takes the PUK, sets the new PIN: every step in order', async () => {
    const { card, kit, offer } = await unlockKit();
    const prompt = await kit.nextPrompt();
    expect(prompt).toMatchObject({ kind: 'new_pin', cardSerial: SERIAL });
    expect(kit.view.current().prompt).toMatchObject({
      kind: 'new_pin',
      title: 'Välj ny säkerhetskod',
      label: 'Ny säkerhetskod (PIN1)',
      repeatLabel: 'Upprepa den nya säkerhetskoden',
      submitText: 'Lås upp kort',
    });
    expect(kit.prompts.submitNewPin(prompt.promptId, NEW_PIN, NEW_PIN)).toBe('accepted');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(offer.jobId)).toEqual(happyTrail(jobSteps.unlock));
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'pin_set', card: { pinTriesLeft: 3 } });
    expect(card).toMatchObject({ pin: NEW_PIN, triesLeft: 3 });
    expect(kit.server.signedWith('prove_card')).toEqual(card.certificates!['9e']);
    expect(kit.readers.operations).not.toContain('verifyPin');
    expect(kit.view.current().result).toEqual({ ok: true, text: 'Kortet är upplåst', confirm: true });
    expect(kit.view.dismissResult()).toBe(true);
    expect(kit.view.current().result).toBeUndefined();
  });

  it('asks again when the two codes differ or break the rules; nothing reaches the card until they agree', async () => {
    const { card, kit, offer } = await unlockKit();
    const prompt = await kit.nextPrompt();
    expect(kit.prompts.submitNewPin(prompt.promptId, NEW_PIN, '7351947')).toBe('new_pin_mismatch');
    expect(kit.view.current().prompt).toMatchObject({
      promptId: prompt.promptId,
      notice: 'Koderna stämmer inte överens. Ange samma kod i båda fälten.',
    });
    expect(kit.prompts.submitNewPin(prompt.promptId, '12345', '12345')).toBe('invalid_new_pin');
    expect(kit.prompts.submitNewPin(prompt.promptId, '123456789', '123456789')).toBe('invalid_new_pin');
    expect(kit.view.current().prompt?.notice).toBe('Säkerhetskoden är 6-8 siffror.');
    expect(kit.prompts.submit(prompt.promptId, NEW_PIN)).toBe('no_prompt');
    expect(kit.readers.operations).not.toContain('unblockPin');
    expect(card.triesLeft).toBe(0);
    expect(kit.prompts.submitNewPin(prompt.promptId, NEW_PIN, NEW_PIN)).toBe('accepted');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(card.pin).toBe(NEW_PIN);
    expect(kit.trail(offer.jobId)).toEqual(happyTrail(jobSteps.unlock));
  });

  it('states the code policy and refuses a code that breaks it; nothing reaches the card', async () => {
    const { card, kit, offer } = await unlockKit();
    const prompt = await kit.nextPrompt();
    expect(kit.view.current().prompt?.lines).toEqual([
      'Ange en ny säkerhetskod till ditt SITHS-kort, 6-8 siffror, och upprepa den.',
      'Koden får inte vara en och samma siffra (111111) eller en sifferföljd uppåt eller nedåt (123456, 876543).',
      'OBS! SITHS-kortet måste sitta i kortläsaren under hela upplåsningen.',
    ]);
    expect(kit.prompts.submitNewPin(prompt.promptId, '555555', '555555')).toBe('pin_all_same');
    expect(kit.prompts.submitNewPin(prompt.promptId, '876543', '876543')).toBe('pin_sequence');
    expect(kit.prompts.submitNewPin(prompt.promptId, '12345678', '12345678')).toBe('pin_sequence');
    expect(kit.readers.operations).not.toContain('unblockPin');
    expect(kit.prompts.submitNewPin(prompt.promptId, NEW_PIN, NEW_PIN)).toBe('accepted');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(card.pin).toBe(NEW_PIN);
  });

  it('says who from support helps, above the new-code prompt, in an assisted unlock; the job is the same', async () => {
    const { card, kit, offer } = await unlockKit(() => {}, 'Anna Ek');
    const prompt = await kit.nextPrompt();
    expect(kit.view.current().prompt?.lines[0]).toBe('Anna Ek på support hjälper dig att låsa upp kortet.');
    expect(kit.view.current().prompt).toMatchObject({
      title: 'Välj ny säkerhetskod',
      submitText: 'Lås upp kort',
    });
    expect(kit.prompts.submitNewPin(prompt.promptId, '123456', '123456')).toBe('pin_sequence');
    expect(kit.prompts.submitNewPin(prompt.promptId, NEW_PIN, NEW_PIN)).toBe('accepted');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(offer.jobId)).toEqual(happyTrail(jobSteps.unlock));
    expect(card.pin).toBe(NEW_PIN);
  });

  it("fails card_proven with the server's code and never asks for a code", async () => {
    const message = 'Kortet i läsaren är inte det kort du valde.';
    const { kit, offer } = await unlockKit((kit) => {
      kit.server.refusals.prove_card = { code: 'wrong_card', message };
    });
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'wrong_card' } });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'card_proven',
      status: 'failed',
      error: { code: 'wrong_card', message },
    });
    expect(kit.prompts.current()).toBeUndefined();
  });

  it('fails pin_set with wrong_puk when the card refuses the PUK', async () => {
    const { card, kit, offer } = await unlockKit((kit) => {
      kit.server.secrets = { puk: '11111111' };
    });
    kit.prompts.submitNewPin((await kit.nextPrompt()).promptId, NEW_PIN, NEW_PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'wrong_puk' } });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'pin_set', status: 'failed' });
    expect(card).toMatchObject({ pin: OLD_PIN, triesLeft: 0 });
  });

  it('succeeds once the card took the new PIN, even when the card is pulled right after', async () => {
    const { card, kit, offer } = await unlockKit((kit) => {
      const open = kit.readers.openSession.bind(kit.readers);
      kit.readers.openSession = async (name) => {
        const session = await open(name);
        return {
          ...session,
          unblockPin: async (puk, pin) => {
            await session.unblockPin(puk, pin);
            kit.readers.remove(READER);
          },
          // The read after it fails only once the reader has reported the card gone, as through pcscd.
          pinTriesLeft: async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return session.pinTriesLeft();
          },
        };
      };
    });
    kit.prompts.submitNewPin((await kit.nextPrompt()).promptId, NEW_PIN, NEW_PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'pin_set', status: 'succeeded' });
    expect(card).toMatchObject({ pin: NEW_PIN, triesLeft: 3 });
  });

  it('fails with card_removed when the card leaves while the user chooses a code; the card is left as it was', async () => {
    const { card, kit, offer } = await unlockKit();
    await kit.nextPrompt();
    kit.readers.remove(READER);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'card_removed' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'waiting_for_user', status: 'failed' });
    expect(card).toMatchObject({ pin: OLD_PIN, triesLeft: 0 });
  });

  it('never lets the PUK or the new PIN into a report, a log line or the view', async () => {
    const { kit, offer } = await unlockKit();
    kit.prompts.submitNewPin((await kit.nextPrompt()).promptId, NEW_PIN, NEW_PIN);
    await kit.outcome(offer.jobId);
    const seen = [
      JSON.stringify(kit.reports),
      kit.logs.join('\n'),
      JSON.stringify(kit.view.current()),
    ].join();
    expect(kit.logs.join('')).toContain('job finished');
    for (const secret of [PUK, NEW_PIN]) {
      expect(seen).not.toContain(secret);
      expect(seen).not.toContain(encodePin(secret).toString('hex'));
    }
  });
});
