import type { Request, RequestHandler } from 'express';
import type { FoldedAudit } from './folded-audit';
import { type HttpRefusal, refuseRequest } from './http-refusals';
import { requestOrigin } from './request-origin';

/** Methods that change nothing; every other method must come from our own pages. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A form, a fetcher submit or a phone API call: a few kB; tens of kB leave room for long free-text fields. */
export const maxBodyBytes = 64 * 1024;

/** Paths whose actions read JSON (the phone simulator's APIs); every other write is a form. */
const jsonPaths = /^\/mobilt-siths\/api\//;
const formTypes = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Refuses a write whose Origin or Sec-Fetch-Site names anything but this site, before any route runs.
 * `Origin: null` (sandboxed frames, redirects across origins) is refused too; `Sec-Fetch-Site: none` is a
 * user's own navigation, not another site. A request with neither header is let
 * through: every browser sends Origin on a cross-origin POST and both headers on any POST to a secure or
 * loopback origin, so such a request comes from a program (curl, a phone, a test) that holds no one
 * else's cookies and could as well send whatever Origin it likes.
 */
export function sameOriginWrites(options: {
  publicUrl: string | undefined;
  audit: FoldedAudit;
}): RequestHandler {
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined;
  return (req, res, next) => {
    if (safeMethods.has(req.method)) return next();
    const origin = req.get('Origin');
    const fetchSite = req.get('Sec-Fetch-Site');
    const originOwn = origin === undefined || origin === publicOrigin || origin === requestOrigin(req);
    // Sec-Fetch-Site tells same-site pages (sibling hosts, the agent's loopback page on another port)
    // from this one too, and a browser that sends both headers must be right on both.
    const fetchSiteOwn = fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none';
    if (originOwn && fetchSiteOwn) return next();
    refuseRequest(req, res, options.audit, 'cross_origin');
  };
}

/**
 * Reads a write's body before Remix does, within `maxBodyBytes`: a declared Content-Length above it is
 * refused before a byte is read, a chunked body as soon as it passes it. Only forms (and JSON on the phone
 * APIs) are accepted, never compressed, even when empty: `formData()` throws on anything else, and so would
 * on a multipart body that does not parse, which is refused here too. The bytes are kept in `req.body` for
 * the Remix handler.
 */
export function boundedFormBodies(options: { audit: FoldedAudit }): RequestHandler {
  return (req, res, next) => {
    if (safeMethods.has(req.method)) return next();
    const refuse = (refusal: HttpRefusal) => refuseRequest(req, res, options.audit, refusal);
    if (Number(req.get('Content-Length')) > maxBodyBytes) return refuse('body_too_large');
    const contentType = mediaType(req.get('Content-Type'));
    const accepted = jsonPaths.test(req.path)
      ? contentType === 'application/json'
      : formTypes.has(contentType);
    const encoding = req.get('Content-Encoding');
    if (!accepted || (encoding !== undefined && encoding.toLowerCase() !== 'identity'))
      return refuse('unsupported_media_type');
    readBounded(req, maxBodyBytes).then(async (body) => {
      if (body === 'too_large') return refuse('body_too_large');
      if (body === 'aborted') return;
      if (contentType === 'multipart/form-data' && !(await parsesAsForm(body, req.get('Content-Type')!)))
        return refuse('malformed_body');
      req.body = body;
      next();
    }, next);
  };
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function readBounded(req: Request, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: Buffer | 'too_large' | 'aborted') => {
      req.off('data', onData).off('end', onEnd).off('error', onAborted).off('close', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Stop reading: the rest of the body is never taken off the connection, which closes after the answer.
      req.pause();
      settle('too_large');
    };
    const onEnd = () => settle(Buffer.concat(chunks, size));
    const onAborted = () => settle('aborted');
    req.on('data', onData).on('end', onEnd).on('error', onAborted).on('close', onAborted);
  });
}

async function parsesAsForm(body: Buffer, contentType: string): Promise<boolean> {
  try {
    await new Response(new Uint8Array(body), { headers: { 'Content-Type': contentType } }).formData();
    return true;
  } catch {
    return false;
  }
}
