import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';

const unreadableAddress = 'Adressen kunde inte läsas. Kontrollera länken och försök igen.';
const unexpected = 'Ett oväntat fel inträffade. Försök igen om en stund.';

/**
 * The last handler: whatever reaches it is answered in Swedish without a stack trace or a server path
 * (Express's own page shows both outside production). An error Express marks as the client's (a URL that
 * does not decode, say) is that client's 4xx; anything else is ours, logged, and a 500.
 */
export function answerErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = clientErrorStatus(error);
    if (status === undefined) logger.error({ err: error, method: req.method }, 'request failed');
    res.status(status ?? 500).set('Cache-Control', 'no-store');
    const message = status === undefined ? unexpected : unreadableAddress;
    if ('_data' in req.query || (req.get('Accept') ?? '').includes('application/json'))
      res.json({ ok: false, message });
    else res.type('text/plain; charset=utf-8').send(message);
  };
}

function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
