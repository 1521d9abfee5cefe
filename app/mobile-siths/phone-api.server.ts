import { type AppLoadContext, json } from '@remix-run/node';
import type { z } from 'zod';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { refusalText, withValue } from '~/mina-sidor/mobile-qr';
import type { MobileSithsRefusal } from '../../server/mobile-siths/refusals';

/** The phone's requests are small; anything larger is refused before it is parsed. */
const maxBodyBytes = 8 * 1024;

/**
 * The JSON body of a phone API request, checked against `schema`; undefined for anything else (not a
 * POST, not JSON, too large, not matching). The phone simulator's APIs are unauthenticated by design: the
 * device key and the user's code in the body are the credentials.
 */
export async function readPhoneRequest<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
): Promise<z.infer<Schema> | undefined> {
  if (request.method !== 'POST') return undefined;
  if (!request.headers.get('Content-Type')?.toLowerCase().startsWith('application/json')) return undefined;
  const declared = Number(request.headers.get('Content-Length') ?? '0');
  if (declared > maxBodyBytes) return undefined;
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

const refusalStatus: Partial<Record<MobileSithsRefusal, number>> = {
  invalid_input: 400,
  rate_limited: 429,
  unknown_device: 404,
  enrolment_invalid: 404,
};

/** A refusal as the phone shows it: the code and the catalogue's text (Swedish unless the phone chose English). */
export async function phoneRefusal(
  request: Request,
  refusal: MobileSithsRefusal,
  extra: { attemptsLeft?: number; retryAfterSeconds?: number } = {},
) {
  const t = translator(await localeOf(request));
  const attempts =
    extra.attemptsLeft === undefined
      ? ''
      : ` ${withValue(t('mobile.refusal.attemptsLeft'), 'attempts', extra.attemptsLeft)}`;
  const wait =
    extra.retryAfterSeconds === undefined
      ? ''
      : ` ${withValue(t('mobile.refusal.waitSeconds'), 'seconds', extra.retryAfterSeconds)}`;
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(extra.retryAfterSeconds);
  return json(
    { ok: false as const, refusal, message: `${refusalText(t, refusal)}${attempts}${wait}`, ...extra },
    { status: refusalStatus[refusal] ?? 403, headers },
  );
}

export function phoneAnswer<Data extends Record<string, unknown>>(data: Data) {
  return json({ ok: true as const, ...data }, { headers: { 'Cache-Control': 'no-store' } });
}

/** The host users see this service under, for "Jag legitimerar mig hos <host>". */
export function relyingPartyHost(context: AppLoadContext): string {
  return new URL(context.publicUrl).host;
}

export const phoneApiNotFound = () => json({ ok: false, message: 'Använd POST.' }, { status: 405 });
