import { AsyncLocalStorage } from 'node:async_hooks';

export interface OpenTransaction {
  open: boolean;
}

/**
 * The transaction the current async call chain runs inside, if any. A statement sent through the database
 * value from inside an open transaction is a bug (on PostgreSQL it takes a second connection and can wait for
 * the first forever; on SQLite it would join or escape the transaction): both engines refuse it.
 */
export const transactionContext = new AsyncLocalStorage<OpenTransaction>();

export class StatementOutsideTransactionError extends Error {
  constructor() {
    super('A statement went through the database while a transaction is open: pass the transaction instead.');
    this.name = 'StatementOutsideTransactionError';
  }
}

export function refuseStatementInsideTransaction(): void {
  if (transactionContext.getStore()?.open) throw new StatementOutsideTransactionError();
}
