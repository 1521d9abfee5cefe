import type { IncomingHttpHeaders } from 'node:http';
import { pinoHttp } from 'pino-http';
import { redactUrl } from '../../protocol/redact-url';
import type { Logger } from '../logger';

interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  remotePort: number;
}

interface SerializedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
}

const redactOptional = (url: unknown) => (typeof url === 'string' ? redactUrl(url) : undefined);

/**
 * One line per request. Only named fields are logged, and every URL through redactUrl: the people search
 * puts a personnummer in its query string, and Express's parsed `query` would repeat it.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req) => req.url?.startsWith('/build/') ?? false },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: SerializedRequest) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
        remotePort: req.remotePort,
        userAgent: req.headers['user-agent'],
        referer: redactOptional(req.headers.referer),
      }),
      res: (res: SerializedResponse) => ({
        statusCode: res.statusCode,
        location: redactOptional(res.headers.location),
      }),
    },
  });
}
