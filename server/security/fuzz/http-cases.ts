import { hostileString, hostileValue, type RealValues, type RelatedValues, realValue } from './hostile';
import type { Random } from './random';
import { type ActionTarget, actionTargets, paramKind, queryParameters, type RouteModule } from './routes';

/** Who sends a case: a demo login (its session made in the session store) or nobody. */
export const identities = [
  'admin',
  'chef',
  'kontakt',
  'kontakt.skovde',
  'idadmin1',
  'idadmin2',
  'support',
  'carina',
  'olof',
  null,
] as const;
export type Identity = (typeof identities)[number];

/** How the request differs from what our own pages send, besides its values. */
export type Variant =
  | 'plain'
  | 'wrong-content-type'
  | 'wrong-origin'
  | 'no-origin'
  | 'oversized'
  | 'wrong-method'
  | 'multipart';

export interface HttpCase {
  index: number;
  kind: 'action' | 'loader' | 'junk-path';
  route: string;
  identity: Identity;
  variant: Variant;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

/** encodeURIComponent refuses lone surrogates; a browser would send U+FFFD for them. */
export function encodeSegment(value: string): string {
  return encodeURIComponent(
    value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

function fillPattern(
  random: Random,
  real: RealValues,
  module: Pick<RouteModule, 'file' | 'pattern'>,
  related: Record<string, string> = {},
): string {
  return module.pattern.replace(/:(\w+)/g, (_match, param: string) => {
    const relatedValue = related[param];
    if (relatedValue !== undefined) return encodeSegment(relatedValue);
    const kind = paramKind(module.file, param);
    if (param === 'code') return random.pick(['2004', '2006', '1', 'okand']);
    const value = kind && random.chance(0.75) ? realValue(random, real, kind) : hostileString(random, real);
    return encodeSegment(value || 'x');
  });
}

/**
 * What a case's body holds: mostly valid values of rows that belong together (reaching the domain code
 * behind the validation, with a field or so spoiled), or a mix that tests the validation itself.
 */
interface BodyPlan {
  hostileShare: number;
  related: Record<string, string>;
}

function formValues(
  random: Random,
  real: RealValues,
  target: ActionTarget,
  plan: BodyPlan,
): [string, string][] {
  const entries: [string, string][] = [];
  const share = plan.hostileShare;
  for (const [name, good] of Object.entries(target.fields)) {
    if (random.chance(share / 5)) continue;
    const value = random.chance(share)
      ? hostileString(random, real)
      : (plan.related[name] ?? good(random, real));
    entries.push([name, value]);
    if (random.chance(share / 6))
      entries.push([name, random.chance(0.5) ? good(random, real) : hostileString(random, real)]);
  }
  if (random.chance(0.1)) {
    entries.push([
      random.pick(['_data', '__proto__', 'intent', 'role', 'id', 'x'.repeat(300)]),
      hostileString(random, real),
    ]);
  }
  return random.chance(0.2) ? entries.reverse() : entries;
}

function jsonBody(random: Random, real: RealValues, target: ActionTarget, plan: BodyPlan): string {
  if (random.chance(0.1)) return JSON.stringify(hostileValue(random, real)) ?? '';
  if (random.chance(0.05))
    return random.pick(['{', '{"a":', 'null', '[]', '"x"', '1e999', '\u0000', '{"__proto__":{"x":1}}']);
  const body: Record<string, unknown> = {};
  const share = plan.hostileShare;
  for (const [name, good] of Object.entries(target.fields)) {
    if (random.chance(share / 5)) continue;
    body[name] = random.chance(share) ? hostileValue(random, real) : good(random, real);
  }
  return JSON.stringify(body);
}

const foreignOrigins = [
  'null',
  'http://evil.example',
  'http://127.0.0.1:8790',
  'http://localhost',
  'https://127.0.0.1',
];
const wrongContentTypes = [
  'text/plain',
  'application/json',
  'application/xml',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/octet-stream',
  '',
];

/** One HTTP case, entirely decided by its generator: the same seed and index give the same request. */
export function httpCase(
  index: number,
  random: Random,
  real: RealValues,
  modules: RouteModule[],
  origin: string,
  relatedRows: RelatedValues,
): HttpCase {
  const identity = random.pick(identities);
  const kind = random.weighted<HttpCase['kind']>([
    [62, 'action'],
    [34, 'loader'],
    [4, 'junk-path'],
  ]);
  const headers: Record<string, string> = { Origin: origin, 'Sec-Fetch-Site': 'same-origin' };

  if (kind === 'junk-path') {
    const path = random.pick([
      `/admin/${encodeSegment(hostileString(random, real))}`,
      `/mina-sidor/fel/${encodeSegment(hostileString(random, real))}`,
      '/admin/..%2f..%2fetc%2fpasswd',
      '/%00',
      '/admin/%',
      `/?_data=${encodeSegment(hostileString(random, real))}`,
      `/admin?_data=routes%2F${encodeSegment(hostileString(random, real))}`,
      '/build/../package.json',
      '/pki/..%2f..%2fdata%2fmaster-key.crt',
      `/pki/${encodeSegment(hostileString(random, real))}.crl`,
    ]);
    const method = random.pick(['GET', 'POST', 'HEAD', 'OPTIONS']);
    return { index, kind, route: 'junk', identity, variant: 'plain', method, path, headers };
  }

  if (kind === 'loader') {
    const module = random.pick(modules.filter((candidate) => candidate.hasLoader));
    const query = new URLSearchParams();
    const names = Object.keys(queryParameters);
    for (let count = random.int(0, 4); count > 0; count--) {
      const name = random.pick(names);
      query.append(
        name,
        random.chance(0.5) ? queryParameters[name]!(random, real) : hostileString(random, real),
      );
    }
    if (random.chance(0.6)) query.set('_data', `routes/${module.file}`);
    const search = query.toString();
    const path = `${fillPattern(random, real, module)}${search ? `?${search}` : ''}`;
    return { index, kind, route: module.file, identity, variant: 'plain', method: 'GET', path, headers };
  }

  const target = random.pick(actionTargets);
  const actor = random.chance(0.6) ? random.pick(target.actors) : identity;
  const module = modules.find((candidate) => candidate.file === target.file);
  if (!module) throw new Error(`no route module ${target.file}`);
  const valid = random.chance(0.4);
  const plan: BodyPlan = {
    hostileShare: valid ? 0.15 : 0.5,
    related:
      valid && target.related && Object.values(relatedRows).every((rows) => rows.length > 0)
        ? target.related(random, relatedRows)
        : {},
  };
  const query = new URLSearchParams();
  for (const [name, good] of Object.entries(target.query ?? {})) {
    const relatedValue = plan.related[name];
    if (relatedValue !== undefined) query.set(name, relatedValue);
    else if (!(valid && target.related) && random.chance(0.7))
      query.set(name, random.chance(0.7) ? good(random, real) : hostileString(random, real));
  }
  if (target.body === 'form' && random.chance(0.5)) {
    query.set('_data', random.chance(0.95) ? `routes/${target.file}` : `routes/${random.pick(modules).file}`);
  }
  const search = query.toString();
  const path = `${fillPattern(random, real, module, plan.related)}${search ? `?${search}` : ''}`;
  const variant = random.weighted<Variant>([
    [74, 'plain'],
    [8, target.body === 'form' ? 'multipart' : 'plain'],
    [7, 'wrong-content-type'],
    [4, 'wrong-origin'],
    [2, 'no-origin'],
    [2, 'oversized'],
    [3, 'wrong-method'],
  ]);

  let body: HttpCase['body'];
  if (target.body === 'json') {
    headers['Content-Type'] = 'application/json';
    body = jsonBody(random, real, target, plan);
  } else if (variant === 'multipart') {
    const form = new FormData();
    for (const [name, value] of formValues(random, real, target, plan)) form.append(name, value);
    if (random.chance(0.3)) form.append('file', new Blob([hostileString(random, real)]), 'x.csv');
    body = form;
  } else {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(formValues(random, real, target, plan)).toString();
  }

  let method = 'POST';
  if (variant === 'wrong-content-type') {
    const contentType = random.pick(wrongContentTypes);
    if (contentType) headers['Content-Type'] = contentType;
    else delete headers['Content-Type'];
    if (random.chance(0.3)) body = JSON.stringify(hostileValue(random, real)) ?? '';
  } else if (variant === 'wrong-origin') {
    headers.Origin = random.pick(foreignOrigins);
    headers['Sec-Fetch-Site'] = random.pick(['cross-site', 'same-site', 'same-origin']);
  } else if (variant === 'no-origin') {
    delete headers.Origin;
    if (random.chance(0.5)) headers['Sec-Fetch-Site'] = 'cross-site';
    else delete headers['Sec-Fetch-Site'];
  } else if (variant === 'oversized') {
    const size = random.pick([70_000, 300_000, 2_000_000]);
    const filler = random.pick(['a', '%', '&a=', '😀']);
    body =
      target.body === 'json'
        ? JSON.stringify({ filler: filler.repeat(Math.ceil(size / filler.length)) })
        : `${typeof body === 'string' ? body : ''}&filler=${filler.repeat(Math.ceil(size / filler.length))}`;
  } else if (variant === 'wrong-method') {
    method = random.pick(['PUT', 'PATCH', 'DELETE']);
  }
  return {
    index,
    kind,
    route: target.file,
    identity: actor as Identity,
    variant,
    method,
    path,
    headers,
    body,
  };
}
