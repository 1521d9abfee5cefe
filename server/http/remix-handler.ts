import { watch } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AppLoadContext,
  broadcastDevReady,
  createReadableStreamFromReadable,
  createRequestHandler,
  type ServerBuild,
  writeReadableStreamToWritable,
} from '@remix-run/node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ServerServices } from '../load-context';
import type { Logger } from '../logger';
import { databaseOutageOf } from './error-answer';
import { requestOrigin } from './request-origin';

const buildPath = resolve('build/index.js');

async function importBuild(): Promise<ServerBuild> {
  // The query string defeats Node's module cache so a rebuilt app is picked up in development.
  return (await import(`${pathToFileURL(buildPath).href}?t=${Date.now()}`)) as ServerBuild;
}

export async function createRemixHandler(
  services: ServerServices,
  options: { development: boolean; logger: Logger; secureCookies: boolean },
): Promise<RequestHandler> {
  let build = await importBuild();
  const mode = options.development ? 'development' : 'production';
  let handleRequest = createRequestHandler(build, mode);
  const getLoadContext = (req: Request, res: Response): AppLoadContext => ({
    ...services,
    cspNonce: String(res.locals.cspNonce ?? ''),
    clientAddress: req.ip ?? 'unknown',
  });

  if (options.development) {
    const announce = () =>
      broadcastDevReady(build).catch((error: unknown) =>
        options.logger.warn({ err: error }, 'could not tell the remix dev server the build is ready'),
      );
    const reload = async () => {
      try {
        build = await importBuild();
      } catch (error) {
        options.logger.error({ err: error }, 'remix build could not be reloaded');
        return;
      }
      handleRequest = createRequestHandler(build, mode);
      options.logger.info('remix build reloaded');
      await announce();
    };
    void announce();
    watch(resolve('build'), { persistent: false }, (_event, filename) => {
      if (filename === 'version.txt') void reload();
    });
  }
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const context = getLoadContext(req, res);
      const response = await handleRequest(remixRequest(req, res), context);
      const outage = databaseOutageOf(context);
      if (outage) {
        await response.body?.cancel();
        return next(outage);
      }
      await sendRemixResponse(res, response, options.secureCookies);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The request as Remix's own Express adapter builds it, with the body the request guards have already read
 * and checked; streamed from the connection only where no guard read it (a route mounted without them).
 */
function remixRequest(req: Request, res: Response): globalThis.Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, item);
  }
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const origin = requestOrigin(req, Boolean(req.app.get('trust proxy'))) ?? 'http://localhost';
  const withBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new globalThis.Request(`${origin}${req.originalUrl}`, {
    method: req.method,
    headers,
    signal: controller.signal,
    ...(withBody
      ? Buffer.isBuffer(req.body)
        ? { body: new Uint8Array(req.body) }
        : { body: createReadableStreamFromReadable(req), duplex: 'half' }
      : {}),
  });
}

/**
 * Two rules the server keeps for every route: caching is decided once, in middleware (no-store for every
 * page and data response), and every cookie is Secure where the site is served over TLS, whichever module
 * made it (session, language, Mobile SITHS browser binding).
 */
async function sendRemixResponse(res: Response, response: globalThis.Response, secureCookies: boolean) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [name, value] of response.headers) {
    if (name === 'cache-control') continue;
    res.append(name, name === 'set-cookie' && secureCookies ? withSecure(value) : value);
  }
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}

function withSecure(setCookie: string): string {
  return /;\s*secure\s*(;|$)/i.test(setCookie) ? setCookie : `${setCookie}; Secure`;
}
