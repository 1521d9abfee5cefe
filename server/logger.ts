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

export function createLogger(level: string) {
  return pino({ level, redact: { paths: redactedPaths, censor: '[hidden]' } });
}

export type Logger = ReturnType<typeof createLogger>;
