import type { Request, Response } from 'express';
import { recordFoldedRefusal } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';

/** Why a request was refused at the HTTP boundary, before any route saw it. */
export type HttpRefusal =
  | 'cross_origin'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'malformed_body'
  | 'unreadable_address';

const refusals: Record<HttpRefusal, { status: number; message: string }> = {
  cross_origin: {
    status: 403,
    message: 'Begäran kom inte från siths-desk och avvisades. Ladda om sidan och försök igen.',
  },
  body_too_large: {
    status: 413,
    message: 'Begäran är för stor. Ett formulär får vara högst 64 kB.',
  },
  unsupported_media_type: {
    status: 415,
    message: 'Begäran skickades i ett format som inte stöds. Skicka formuläret från sidan.',
  },
  malformed_body: {
    status: 400,
    message: 'Formuläret kunde inte läsas. Ladda om sidan och försök igen.',
  },
  unreadable_address: {
    status: 400,
    message: 'Adressen kunde inte läsas. Kontrollera länken och försök igen.',
  },
};

/**
 * Audits the refusal, then answers it as the sender reads it: JSON for a Remix data request or a JSON
 * client, else text.
 */
export async function refuseRequest(
  req: Request,
  res: Response,
  db: AppDatabase,
  refusal: HttpRefusal,
): Promise<void> {
  const { status, message } = refusals[refusal];
  const address = req.ip ?? 'unknown';
  const path = req.path.slice(0, 200);
  await recordFoldedRefusal(db, {
    actorUserId: null,
    actorLabel: 'anonym',
    action: 'http_request_refused',
    objectType: 'client_address',
    objectId: address,
    detail: { reason: refusal, clientAddress: address, method: req.method, path },
  });
  if (res.headersSent) return;
  // A body still on its way is not read: the connection ends after the answer instead.
  if (!req.complete) res.set('Connection', 'close');
  res.status(status).set('Cache-Control', 'no-store');
  if (wantsJson(req)) {
    // Remix shows a data request's answer marked as caught in the route's error boundary, with this message.
    if ('_data' in req.query) res.set('X-Remix-Catch', 'yes');
    res.json({ ok: false, refusal, message });
  } else {
    res.type('text/plain; charset=utf-8').send(message);
  }
}

function wantsJson(req: Request): boolean {
  return '_data' in req.query || (req.get('Accept') ?? '').toLowerCase().includes('application/json');
}
