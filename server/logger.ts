import pino from 'pino';

/** Paths that must never reach a log line, whatever object is logged. */
export const redactedPaths = [
  'pin',
  'puk',
  'newPin',
  'managementKey',
  'privateKey',
  'password',
  'token',
  '*.pin',
  '*.puk',
  '*.newPin',
  '*.managementKey',
  '*.privateKey',
  '*.password',
  '*.token',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

/** Logs to stdout, or to `destination` (tests read what was logged). */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino({ level, redact: { paths: redactedPaths, censor: '[hidden]' } }, destination);
}

export type Logger = ReturnType<typeof createLogger>;
