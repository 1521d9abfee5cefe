import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** What counts as this site: the request's own origin and, when set, PUBLIC_URL's. */
export interface OwnOriginRule {
  /** TRUST_PROXY: scheme and host come from X-Forwarded-Proto and X-Forwarded-Host. */
  trustProxy: boolean;
  publicUrl: string | undefined;
}

/**
 * Scheme and host of this request as the browser addressed it: from `Host`, or behind a trusted proxy
 * from X-Forwarded-Proto and X-Forwarded-Host. Undefined without a host.
 */
export function requestOrigin(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = (name: string) =>
    trustProxy
      ? String(req.headers[name] ?? '')
          .split(',')[0]
          ?.trim() || undefined
      : undefined;
  const protocol = forwarded('x-forwarded-proto') ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  const host = forwarded('x-forwarded-host') ?? req.headers.host;
  if (!host) return undefined;
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether a browser sent this request from one of our own pages: its Origin, when there is one, is ours
 * (`null` is not), and its Sec-Fetch-Site, when there is one, says same-origin (or `none`, the user's own
 * navigation). Sec-Fetch-Site also tells same-site pages (sibling hosts, the agent's loopback page on
 * another port) from ours. A request with neither header is not from a browser's page: every browser sends
 * Origin on a cross-origin POST and on a WebSocket handshake, so such a request comes from a program
 * (curl, a phone, the card-agent, a test) that holds no one else's cookies.
 */
export function fromOwnOrigin(req: IncomingMessage, rule: OwnOriginRule): boolean {
  const origin = req.headers.origin;
  const fetchSite = req.headers['sec-fetch-site'];
  const originOwn =
    origin === undefined ||
    (rule.publicUrl !== undefined && origin === new URL(rule.publicUrl).origin) ||
    origin === requestOrigin(req, rule.trustProxy);
  const fetchSiteOwn = fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none';
  return originOwn && fetchSiteOwn;
}
