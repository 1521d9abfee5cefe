import { AsyncLocalStorage } from 'node:async_hooks';

export interface OpenTransaction {
  open: boolean;
}

export class StatementOutsideTransactionError extends Error {
  constructor() {
    super('A statement went through the database while a transaction is open: pass the transaction instead.');
    this.name = 'StatementOutsideTransactionError';
  }
}

/**
 * Knows which of one database's transactions the current async call chain runs inside. A statement sent
 * through that database value from inside its own open transaction is a bug (on PostgreSQL it takes a second
 * connection and can wait for the first forever; on SQLite it would join or escape the transaction): both
 * engines refuse it. Another database's transaction is no concern of this one (db:copy nests them).
 */
export class TransactionGuard {
  readonly #context = new AsyncLocalStorage<OpenTransaction>();

  current(): OpenTransaction | undefined {
    return this.#context.getStore();
  }

  run<T>(opened: OpenTransaction, work: () => T): T {
    return this.#context.run(opened, work);
  }

  refuseStatementInsideTransaction(): void {
    if (this.#context.getStore()?.open) throw new StatementOutsideTransactionError();
  }
}
