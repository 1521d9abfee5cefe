import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { deviceNameSchema } from '../../app/mobile-siths/phone-schemas';
import * as administration from '../../app/routes/admin.administration';
import * as renameUnit from '../../app/routes/admin.administration_.enhet.$unitId';
import * as orderPage from '../../app/routes/admin.bestallningar_.$orderId';
import { first } from '../../db/engine';
import { orders, units } from '../../db/schema';
import { nameProblem } from '../../protocol/safe-text';

/**
 * Finding 11 of issue 11, the names: unit names accepted `=HYPERLINK(...)`, control characters and a
 * right-to-left override. Names people read refuse control (C0, C1, DEL) and bidirectional characters and a
 * formula start, with the Swedish message next to the field; comments refuse the characters.
 */
const badNames: Array<[string, string]> = [
  ['a formula', '=HYPERLINK("http://evil.example","Klicka")'],
  ['a plus formula', '+1+1'],
  ['a minus formula', '-2+3'],
  ['an at formula', '@SUM(A1:A2)'],
  ['a right-to-left override', 'Akuten \u202Efdp.exe'],
  ['a right-to-left mark', 'Akuten\u200F'],
  ['an isolate', 'Akuten \u2066x\u2069'],
  ['the Arabic letter mark', 'Akuten\u061C'],
  ['a NUL', 'Akuten\u0000'],
  ['a bell', 'Aku\u0007ten'],
  ['an escape', 'Akuten\u001B[31m'],
  ['a DEL', 'Akuten\u007F'],
  ['a C1 control', 'Akuten\u0085'],
  ['a line break', 'Akuten\nNy rad'],
];

let harness: RouteHarness;
let sahlgrenska: string;
let hsaCounter = 0;
const freshHsaId = () => `SE2321000131-S0000000980${String(++hsaCounter).padStart(2, '0')}`;

beforeAll(async () => {
  harness = await createRouteHarness();
  sahlgrenska = first(
    await harness.db.select().from(units).where(eq(units.hsaId, 'SE2321000131-S000000010100')).limit(1),
  )!.id;
});
afterAll(() => harness?.db.close());

/** Compared here, not in SQL: PostgreSQL refuses a NUL in a query parameter outright. */
const unitNamed = async (name: string) =>
  (await harness.db.select().from(units)).find((unit) => unit.name === name);

describe('unit names', () => {
  it.each(badNames)('a new unit with %s is refused next to the name field', async (_label, name) => {
    const result = await callRoute(
      administration.action,
      await harness.request('/admin/administration', {
        as: 'admin',
        form: { intent: 'create_unit', hsaId: freshHsaId(), name, parentId: sahlgrenska },
      }),
      harness.context,
    );
    expect(result.status).toBe(400);
    expect((result.data as { errors: Record<string, string> }).errors.name).toMatch(/^form\.error\./);
    expect(await unitNamed(name)).toBeUndefined();
  });

  it.each(badNames)('renaming a unit to %s is refused', async (_label, name) => {
    const result = await callRoute(
      renameUnit.action,
      await harness.request(`/admin/administration/enhet/${sahlgrenska}`, { as: 'admin', form: { name } }),
      harness.context,
      { unitId: sahlgrenska },
    );
    expect(result.status).toBe(400);
    expect(await unitNamed(name)).toBeUndefined();
  });

  it('ordinary names pass, Swedish letters, dashes and parentheses inside included', async () => {
    const name = 'Akutmottagning Östra (barn) - natt & helg';
    const result = await callRoute(
      administration.action,
      await harness.request('/admin/administration', {
        as: 'admin',
        form: { intent: 'create_unit', hsaId: freshHsaId(), name, parentId: sahlgrenska },
      }),
      harness.context,
    );
    expect(result.status).toBe(302);
    expect(await unitNamed(name)).toBeDefined();
  });

  it('tells the user why in Swedish', async () => {
    const { translator } = await import('~/i18n/catalogue');
    const t = translator('sv');
    expect(t('form.error.formulaStart')).toBe('Namnet får inte börja med =, +, - eller @.');
    expect(t('form.error.unsafeCharacters')).toMatch(/styrtecken/);
  });
});

describe('other free text', () => {
  it('a Mobile SITHS device name refuses the same characters and formula starts', () => {
    for (const [, name] of badNames) expect(deviceNameSchema.safeParse(name).success).toBe(false);
    expect(deviceNameSchema.safeParse('Åsas iPhone').success).toBe(true);
  });

  it('an order comment refuses control and bidirectional characters but keeps line breaks', async () => {
    const order = first(await harness.db.select().from(orders).orderBy(desc(orders.createdAt)).limit(1))!;
    const refused = await callRoute(
      orderPage.action,
      await harness.request(`/admin/bestallningar/${order.id}`, {
        as: 'idadmin1',
        form: { intent: 'cancel', expectedState: order.state, note: 'Tappat \u202Ekortet' },
      }),
      harness.context,
      { orderId: order.id },
    );
    expect(refused.status).toBe(400);
    expect(nameProblem('rad ett\nrad två')).toBe('unsafe_character');
  });
});
