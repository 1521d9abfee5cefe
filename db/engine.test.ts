import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { causeChain, engineOf, first, forUpdate, isUniqueViolation, queryRows } from './engine';
import { StatementOutsideTransactionError } from './engines/transaction-context';
import { units } from './schema';

let db: AppDatabase;
beforeEach(async () => {
  db = await openTestDatabase();
});
afterEach(async () => {
  await db.close();
});

const unit = (id: string) => ({
  id,
  hsaId: `SE2321000016-${id}`,
  name: `Enhet ${id}`,
  organisation: 'Region Test',
});

async function unitNames(): Promise<string[]> {
  return (await db.select({ name: units.name }).from(units).orderBy(units.id)).map((row) => row.name);
}

describe('the engine under the domain modules', () => {
  it('names its engine the way the test run asked for', () => {
    expect(engineOf(db)).toBe(process.env.TEST_DATABASE_ENGINE === 'postgres' ? 'postgres' : 'sqlite');
  });

  it('commits a transaction as a whole and rolls it back as a whole', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(units).values(unit('A1'));
      await tx.insert(units).values(unit('A2'));
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(units).values(unit('B1'));
        throw new Error('refused half way');
      }),
    ).rejects.toThrow('refused half way');
    expect(await unitNames()).toEqual(['Enhet A1', 'Enhet A2']);
  });

  it('refuses a statement sent through the database while a transaction is open in the same call chain', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(units).values(unit('C1'));
        await db.insert(units).values(unit('C2'));
      }),
    ).rejects.toSatisfy((error) =>
      causeChain(error).some((link) => link instanceof StatementOutsideTransactionError),
    );
    expect(await unitNames()).toEqual([]);
  });

  it('keeps a concurrent writer out of an open transaction: its row survives the rollback', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let insideTransaction = () => {};
    const opened = new Promise<void>((resolve) => {
      insideTransaction = resolve;
    });
    const rolledBack = db
      .transaction(async (tx) => {
        await tx.insert(units).values(unit('D1'));
        insideTransaction();
        await held;
        throw new Error('rolled back');
      })
      .catch((error: Error) => error.message);
    await opened;
    const outside = db.insert(units).values(unit('D2'));
    release();
    await outside;
    expect(await rolledBack).toBe('rolled back');
    expect(await unitNames()).toEqual(['Enhet D2']);
  });

  it('runs concurrent transactions one after another without losing an update', async () => {
    await db.insert(units).values({ ...unit('E1'), name: '0' });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const row = first(
            await forUpdate(tx, tx.select({ name: units.name }).from(units).where(eq(units.id, 'E1'))),
          );
          await tx
            .update(units)
            .set({ name: String(Number(row?.name) + 1) })
            .where(eq(units.id, 'E1'));
        }),
      ),
    );
    expect(await unitNames()).toEqual(['20']);
  });

  it('nests a transaction as a savepoint that can fail alone', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(units).values(unit('F1'));
      await tx
        .transaction(async (inner) => {
          await inner.insert(units).values(unit('F2'));
          throw new Error('inner refused');
        })
        .catch(() => {});
    });
    expect(await unitNames()).toEqual(['Enhet F1']);
  });

  it('reports a unique violation the same way on both engines', async () => {
    await db.insert(units).values(unit('G1'));
    const error = await db
      .insert(units)
      .values(unit('G1'))
      .then(() => null)
      .catch((caught: unknown) => caught);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('answers raw SQL as rows keyed by column name', async () => {
    await db.insert(units).values(unit('H1'));
    const rows = await queryRows<{ id: string; n: number }>(
      db,
      sql`select id, ${units.name} as name, 1 + 1 as n from units`,
    );
    expect(rows).toEqual([{ id: 'H1', name: 'Enhet H1', n: 2 }]);
  });
});
