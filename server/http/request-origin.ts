import type { Request } from 'express';

/**
 * Scheme and host of this request as the browser addressed it: from `Host`, or behind a trusted proxy
 * (TRUST_PROXY, Express's `trust proxy`) from X-Forwarded-Proto and X-Forwarded-Host. Undefined without one.
 */
export function requestOrigin(req: Request): string | undefined {
  const forwardedHost =
    req.app.get('trust proxy') === true ? req.get('X-Forwarded-Host')?.split(',')[0]?.trim() : undefined;
  const host = forwardedHost || req.get('Host');
  if (!host) return undefined;
  try {
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}
