import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

export const assignCspNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString('base64');
  next();
};

export function securityHeaders(options: { development: boolean; agentLocalOrigin: string }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as unknown as Response).locals.cspNonce}'`],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // Mina sidor hands start tokens to the SITHS eID-app on the user's own computer.
        connectSrc: ["'self'", options.agentLocalOrigin, ...(options.development ? ['ws:'] : [])],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * Every answer but the fingerprinted build, the public files and the PKI's certificates and CRLs may carry
 * personal data or depend on the session: no browser or proxy keeps a copy. Mounted after the static files.
 */
export const noStoreButPkiFiles: RequestHandler = (req, res, next) => {
  if (!req.path.startsWith('/pki/')) res.set('Cache-Control', 'no-store');
  next();
};
