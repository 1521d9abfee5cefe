import type { AppLoadContext } from '@remix-run/node';
import { and, count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { countOverview } from '../../db/overview';
import { auditEvents, cards, units } from '../../db/schema';
import { demoLogins } from '../../db/seed';
import { expandUnitSubtrees } from '../../db/units';
import { createRouteHarness } from '../testing/route-harness';
import { loginWithPassword } from './login.server';

let db: AppDatabase;
let context: AppLoadContext;

beforeAll(async () => {
  ({ db, context } = await createRouteHarness());
});
afterAll(async () => {
  await db.close();
});

const demoPassword = (username: string) => demoLogins.find((login) => login.username === username)!.password;
const auditFor = async (label: string, outcome: 'success' | 'refused') =>
  first(
    await db
      .select({ value: count() })
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.actorLabel, label),
          eq(auditEvents.action, 'login_password'),
          eq(auditEvents.outcome, outcome),
        ),
      )
      .limit(1),
  )!.value;

describe('password login', () => {
  it('opens a session for a demo account with the right password', async () => {
    const result = await loginWithPassword(context, {
      username: 'kontakt',
      password: demoPassword('kontakt'),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const session = await context.sessions.validateCookieHeader(result.cookie.split(';')[0]);
    expect(session?.loginMethod).toBe('password');
    expect(await auditFor('kontakt', 'success')).toBe(1);
  });

  it('refuses a wrong password with 401 and audits the refusal', async () => {
    const result = await loginWithPassword(context, { username: 'chef', password: 'fel-lösenord' });
    expect(result).toEqual({ ok: false, status: 401, error: 'login.error.invalid' });
    expect(await auditFor('chef', 'refused')).toBe(1);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const result = await loginWithPassword(context, { username: 'ingen.alls', password: 'whatever' });
    expect(result).toEqual({ ok: false, status: 401, error: 'login.error.invalid' });
  });

  it('refuses end users without a password (they log in with SITHS eID)', async () => {
    const result = await loginWithPassword(context, { username: 'carina', password: '' });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });
});

describe('overview counts', () => {
  const unitIdOf = async (hsaId: string) =>
    first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;

  it('counts only the units a contact person is assigned to, with sub-units', async () => {
    const login = demoLogins.find((l) => l.username === 'kontakt.skovde')!;
    const scope = await expandUnitSubtrees(db, [await unitIdOf(login.unitHsaId!)]);
    const activeInScope = first(
      await db
        .select({ value: count() })
        .from(cards)
        .where(and(eq(cards.state, 'active'), inArray(cards.unitId, scope)))
        .limit(1),
    )!.value;
    const counts = await countOverview(db, scope);
    expect(counts.activeCards).toBe(activeInScope);
    expect(counts.activeCards).toBeLessThan((await countOverview(db, 'all')).activeCards);
    expect(counts.persons).toBeGreaterThan(0);
  });

  it('counts nothing for an empty scope', async () => {
    expect(Object.values(await countOverview(db, []))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
