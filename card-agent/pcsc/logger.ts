import { type DestinationStream, pino } from 'pino';
import { redactUrl } from '../../protocol/redact-url';

export type { Logger } from 'pino';

const redactedUrl = (value: unknown) => (typeof value === 'string' ? redactUrl(value) : value);

/**
 * The agent's logger, to stdout or `destination`. Whoever logs, this layer only ever logs APDU headers,
 * lengths and status words, never data fields (PINs travel in them); a URL is logged without the SITHS
 * eID-app page's access key or any other secret in its query (protocol/redact-url.ts).
 */
export function createCardLogger(destination?: DestinationStream) {
  return pino(
    {
      name: 'card-agent',
      level: process.env.LOG_LEVEL ?? 'info',
      serializers: { url: redactedUrl, uiUrl: redactedUrl, serverUrl: redactedUrl },
    },
    destination,
  );
}

/** The card layer's default logger. Callers may pass their own. */
export const cardLogger = createCardLogger();
