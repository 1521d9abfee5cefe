import type { Request, RequestHandler } from 'express';
import type { AppDatabase } from '../../db/connection';
import { type HttpRefusal, refuseRequest } from './http-refusals';
import { fromOwnOrigin, type OwnOriginRule } from './request-origin';

/** Methods that change nothing; every other method must come from our own pages. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A form, a fetcher submit or a phone API call: a few kB; tens of kB leave room for long free-text fields. */
export const maxBodyBytes = 64 * 1024;

/** Paths whose actions read JSON (the phone simulator's and the SITHS eID-app's APIs); every other write is a form. */
const jsonPaths = /^\/(mobilt-siths|siths-eid-appen)\/api\//;
const formTypes = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Refuses an address whose path or query decodes to a control character (`%00`, `%0A`...): no page, id or
 * search term has one, and PostgreSQL refuses a NUL in any text it is asked to compare, which made such a
 * link a 500 there.
 */
export function readableAddresses(options: { db: AppDatabase }): RequestHandler {
  return (req, res, next) => {
    if (!decodesToControlCharacter(req.originalUrl)) return next();
    refuseRequest(req, res, options.db, 'unreadable_address').catch(next);
  };
}

function decodesToControlCharacter(url: string): boolean {
  if (!url.includes('%')) return false;
  try {
    return /\p{Cc}/u.test(decodeURIComponent(url));
  } catch {
    // An escape that does not decode at all is Express's to refuse (answerErrors: 400).
    return false;
  }
}

/** Refuses a write that a browser sent from any page but ours (see fromOwnOrigin), before any route runs. */
export function sameOriginWrites(options: OwnOriginRule & { db: AppDatabase }): RequestHandler {
  return (req, res, next) => {
    if (safeMethods.has(req.method) || (fromOwnOrigin(req, options) && originNamesHost(req))) return next();
    refuseRequest(req, res, options.db, 'cross_origin').catch(next);
  };
}

/**
 * Remix refuses a form whose Origin names another host than the request (X-Forwarded-Host, else Host) with
 * a 500; refused here first. Our public origin posted to a process by another name (a proxy that rewrites
 * Host without setting X-Forwarded-Host) is such a form.
 */
function originNamesHost(req: Request): boolean {
  const origin = req.get('Origin');
  if (origin === undefined || origin === 'null') return true;
  const host = req.get('X-Forwarded-Host')?.split(',')[0]?.trim() || req.get('Host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Reads a write's body before Remix does, within `maxBodyBytes`: a declared Content-Length above it is
 * refused before a byte is read, a chunked body as soon as it passes it. Only forms (and JSON on the phone
 * APIs) are accepted, never compressed, even when empty: `formData()` throws on anything else, and so would
 * on a multipart body that does not parse, which is refused here too. The bytes are kept in `req.body` for
 * the Remix handler.
 */
export function boundedFormBodies(options: { db: AppDatabase }): RequestHandler {
  return (req, res, next) => {
    if (safeMethods.has(req.method)) return next();
    const refuse = (refusal: HttpRefusal) => {
      refuseRequest(req, res, options.db, refusal).catch(next);
    };
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
