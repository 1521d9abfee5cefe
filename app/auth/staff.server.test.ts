import type { AppLoadContext } from '@remix-run/node';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { auditEvents, units, users } from '../../db/schema';
import { demoLogins } from '../../db/seed';
import { localeCookie } from '../i18n/locale.server';
import { createRouteHarness } from '../testing/route-harness';
import { requireRole, requireStaff, requireUnitAccess } from './staff.server';

let db: AppDatabase;
let context: AppLoadContext;

beforeAll(async () => {
  ({ db, context } = await createRouteHarness());
});
afterAll(async () => {
  await db.close();
});

async function requestAs(username: string, path = '/admin', language?: 'en') {
  const user = first(await db.select().from(users).where(eq(users.username, username)).limit(1))!;
  const { cookie } = await context.sessions.create({ userId: user.id, loginMethod: 'password' });
  const languageCookie = language ? (await localeCookie.serialize(language)).split(';')[0] : null;
  const cookies = [cookie.split(';')[0], languageCookie].filter(Boolean).join('; ');
  return new Request(`http://localhost${path}`, { headers: { Cookie: cookies } });
}

const unitIdOf = async (hsaId: string) =>
  first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;
const loginOf = (username: string) => demoLogins.find((login) => login.username === username)!;

async function thrown(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
  throw new Error('expected a thrown response');
}

describe('requireStaff', () => {
  it('sends a visitor without a session to the login page and back', async () => {
    const response = await thrown(requireStaff(new Request('http://localhost/admin/support?x=1'), context));
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe('/logga-in?redirectTo=%2Fadmin%2Fsupport%3Fx%3D1');
  });

  it('sends an end user without staff roles to the login page', async () => {
    const response = await thrown(requireStaff(await requestAs('carina'), context));
    expect(response.status).toBe(302);
  });
});

describe('requireUnitAccess', () => {
  it('refuses a contact person of Skövde at Sahlgrenska with a Swedish 403 and audits it', async () => {
    const request = await requestAs('kontakt.skovde', '/admin/reservkort');
    const principal = await requireStaff(request, context);
    const sahlgrenska = await unitIdOf(loginOf('kontakt').unitHsaId!);
    const response = await thrown(
      requireUnitAccess(request, context, principal, sahlgrenska, ['contact_person'], {
        action: 'register_reserve_card',
        objectType: 'card',
      }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Du har inte behörighet för den enheten.' });
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.actorUserId, principal.userId));
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'register_reserve_card',
        outcome: 'refused',
        detail: expect.objectContaining({ reason: 'other_unit', unitId: sahlgrenska }),
      }),
    ]);
  });

  it('lets the contact person act in their own unit and its sub-units', async () => {
    const request = await requestAs('kontakt.skovde');
    const principal = await requireStaff(request, context);
    const skovde = await unitIdOf(loginOf('kontakt.skovde').unitHsaId!);
    await expect(
      requireUnitAccess(request, context, principal, skovde, ['contact_person'], {
        action: 'register_reserve_card',
        objectType: 'card',
      }),
    ).resolves.toBeUndefined();
  });
});

describe('requireRole', () => {
  it('refuses a manager an ID-administrator action, in the chosen language', async () => {
    const request = await requestAs('chef', '/admin', 'en');
    const principal = await requireStaff(request, context);
    const response = await thrown(
      requireRole(request, context, principal, ['id_admin'], {
        action: 'approve_order',
        objectType: 'order',
      }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'You are not allowed to see this page.' });
  });
});
