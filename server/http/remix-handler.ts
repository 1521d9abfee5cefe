import { watch } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import { type AppLoadContext, broadcastDevReady, type ServerBuild } from '@remix-run/node';
import type { Request, RequestHandler, Response } from 'express';
import type { ServerServices } from '../load-context';
import type { Logger } from '../logger';

const buildPath = resolve('build/index.js');

async function importBuild(): Promise<ServerBuild> {
  // The query string defeats Node's module cache so a rebuilt app is picked up in development.
  return (await import(`${pathToFileURL(buildPath).href}?t=${Date.now()}`)) as ServerBuild;
}

export async function createRemixHandler(
  services: ServerServices,
  options: { development: boolean; logger: Logger },
): Promise<RequestHandler> {
  let build = await importBuild();
  const getLoadContext = (req: Request, res: Response): AppLoadContext => ({
    ...services,
    cspNonce: String(res.locals.cspNonce ?? ''),
    clientAddress: req.ip ?? 'unknown',
  });

  if (!options.development) {
    return createRequestHandler({ build, mode: 'production', getLoadContext });
  }

  broadcastDevReady(build);
  watch(resolve('build'), { persistent: false }, async (_event, filename) => {
    if (filename !== 'version.txt') return;
    build = await importBuild();
    options.logger.info('remix build reloaded');
    broadcastDevReady(build);
  });
  return (req, res, next) =>
    createRequestHandler({ build, mode: 'development', getLoadContext })(req, res, next);
}
