import { PassThrough } from 'node:stream';
import {
  type AppLoadContext,
  createReadableStreamFromReadable,
  type EntryContext,
  type HandleErrorFunction,
} from '@remix-run/node';
import { isRouteErrorResponse, RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { NonceContext } from './components/nonce';

const renderTimeoutMs = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const waitForAll = isbot(request.headers.get('user-agent') ?? '');
  const nonce = loadContext.cspNonce;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={renderTimeoutMs} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? 'onAllReady' : 'onShellReady']() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) loadContext.logger.error({ err: error }, 'render failed');
        },
      },
    );
    setTimeout(abort, renderTimeoutMs + 1_000);
  });
}

/** A database outage is answered by the server's error path (a 503), everything else as Remix does. */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (context.databaseOutages.isDatabaseUnreachable(error))
    context.databaseOutages.noteDatabaseOutage(context, error);
  // A route or data request that does not exist (404, 405) is the client's mistake, not an error of ours.
  else if (isRouteErrorResponse(error) && error.status < 500) return;
  else if (!request.signal.aborted) context.logger.error({ err: error }, 'loader or action failed');
};
