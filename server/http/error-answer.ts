import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';

const unreadableAddress = 'Adressen kunde inte läsas. Kontrollera länken och försök igen.';
const unexpected = 'Ett oväntat fel inträffade. Försök igen om en stund.';
export const databaseUnreachableMessage = 'Databasen kan inte nås just nu. Försök igen om en stund.';

/**
 * The last handler: whatever reaches it is answered in Swedish without a stack trace or a server path
 * (Express's own page shows both outside production). An error Express marks as the client's (a URL that
 * does not decode, say) is that client's 4xx; anything else is ours, logged, and a 500.
 */
export function answerErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const unreachable = isDatabaseUnreachable(error);
    const status = unreachable ? 503 : clientErrorStatus(error);
    if (unreachable) logger.warn({ err: error, method: req.method }, 'database unreachable');
    else if (status === undefined) logger.error({ err: error, method: req.method }, 'request failed');
    res.status(status ?? 500).set('Cache-Control', 'no-store');
    const message = unreachable
      ? databaseUnreachableMessage
      : status === undefined
        ? unexpected
        : unreadableAddress;
    if ('_data' in req.query || (req.get('Accept') ?? '').includes('application/json'))
      res.json({ ok: false, message });
    else res.type('text/plain; charset=utf-8').send(message);
  };
}

function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * PostgreSQL is down, restarting or out of reach: the request may well succeed in a moment, so it is a 503,
 * not our 500. The pool reconnects by itself on the next query. drizzle and AggregateError wrap what the
 * driver threw, hence the walk through causes.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const pending = [error];
  for (let seen = 0; pending.length > 0 && seen < 20; seen++) {
    const current = pending.shift() as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (!current || typeof current !== 'object') continue;
    const code = typeof current.code === 'string' ? current.code : '';
    if (/^(57P0[123]|08...)$/.test(code) || connectionCodes.has(code)) return true;
    if (typeof current.message === 'string' && lostConnection.test(current.message)) return true;
    pending.push(current.cause, ...(Array.isArray(current.errors) ? current.errors : []));
  }
  return false;
}

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** node-postgres says these without a code. */
const lostConnection =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Remix answers a loader's or action's error itself (an error page, status 500) and only tells
 * `handleError` (app/entry.server.tsx); that marks the request's load context, and the adapter
 * (server/http/remix-handler.ts) hands the error to `answerErrors` instead. A registered symbol: the app
 * build holds its own copy of this module.
 */
const outageKey = Symbol.for('siths-desk.database-unreachable');

export function noteDatabaseOutage(loadContext: object, error: unknown): void {
  (loadContext as Record<symbol, unknown>)[outageKey] = error;
}

export function databaseOutageOf(loadContext: object): unknown {
  return (loadContext as Record<symbol, unknown>)[outageKey];
}
