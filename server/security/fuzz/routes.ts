import { readdirSync, readFileSync } from 'node:fs';
import {
  cardSerial,
  hsaId,
  personalIdentityNumber,
  type RealKind,
  type RealValues,
  type RelatedValues,
  realValue,
} from './hostile';
import type { Random } from './random';

/** A value a field's own form would send, so a share of cases gets past validation into the domain. */
type Good = (random: Random, real: RealValues) => string;

export interface ActionTarget {
  /** The route module's file in app/routes, without extension: the route id is `routes/<file>`. */
  file: string;
  /** Form fields (or JSON keys) the action reads, with a plausible value for each. */
  fields: Record<string, Good>;
  /** The phone simulator's APIs read a JSON body, every other action a form. */
  body: 'form' | 'json';
  /** Extra query parameters the action reads from its URL. */
  query?: Record<string, Good>;
  /**
   * Route parameters, query and fields that belong together (a person and one of their cards, an order and
   * the state it is in), for the valid-looking cases: they reach the domain code behind the checks.
   */
  related?: (random: Random, related: RelatedValues) => Record<string, string>;
  /** Demo logins whose role the action is for: most cases come from them, so they reach the domain. */
  actors: readonly (string | null)[];
}

const real =
  (kind: RealKind): Good =>
  (random, values) =>
    realValue(random, values, kind);
const oneOf =
  (...values: string[]): Good =>
  (random) =>
    random.pick(values);
const base64 =
  (bytes: number): Good =>
  (random) =>
    Buffer.from(Array.from({ length: bytes }, () => random.int(0, 255))).toString('base64');
const base64url43: Good = (random) =>
  Buffer.from(Array.from({ length: 32 }, () => random.int(0, 255))).toString('base64url');
const code: Good = (random) => random.digits(random.int(5, 9));

const orderStates = ['placed', 'awaiting_second_approval', 'ready', 'fulfilled', 'cancelled', 'expired'];
const orderTypes = ['eid_on_card', 'reserve_card_loa2', 'reserve_card_loa3', 'mobile'];
const staffRoles = [
  'manager',
  'contact_person',
  'id_admin',
  'support',
  'system_admin',
  'protected_identity_viewer',
  'unlock_assistant',
];

/**
 * Every route module with an action, and every field its action reads. The fuzz test checks this table
 * against app/routes, so a new action cannot stay out of the fuzz unnoticed.
 */
export const actionTargets: ActionTarget[] = [
  {
    file: 'admin.administration',
    actors: ['admin'],
    body: 'form',
    fields: {
      intent: oneOf('create_unit', 'grant_role', 'sign', 'confirm'),
      method: oneOf('card', 'mobile_siths'),
      orderId: real('authOrderIds'),
      hsaId: (random, values) =>
        random.chance(0.5) ? hsaId(random) : realValue(random, values, 'unitHsaIds'),
      name: oneOf('Fuzzenheten', 'Vårdcentral Ängen', 'Enhet 2'),
      parentId: real('unitIds'),
      userId: real('userIds'),
      role: oneOf(...staffRoles),
      roleUnitId: real('unitIds'),
    },
  },
  {
    file: 'admin.administration_.katalog',
    actors: ['admin'],
    body: 'form',
    fields: { intent: oneOf('preview', 'apply') },
  },
  {
    file: 'admin.administration_.enhet.$unitId',
    actors: ['admin'],
    body: 'form',
    fields: { name: oneOf('Nytt namn', 'Ortopedi') },
  },
  {
    file: 'admin.administration_.roll.$assignmentId.ta-bort',
    actors: ['admin'],
    body: 'form',
    fields: { assignmentId: real('assignmentIds') },
  },
  {
    file: 'admin.bestallningar_.$orderId',
    related: (random, related) => {
      const order = random.pick(related.openOrders);
      return { orderId: order.orderId, expectedState: order.state };
    },
    actors: ['idadmin1', 'idadmin2', 'chef', 'kontakt'],
    body: 'form',
    fields: {
      intent: oneOf('approve', 'cancel', 'review', 'sign', 'confirm'),
      expectedState: oneOf(...orderStates),
      note: oneOf('Ok', ''),
      method: oneOf('card', 'mobile_siths'),
      orderId: real('authOrderIds'),
    },
  },
  {
    file: 'admin.bestallningar_.ny',
    actors: ['chef', 'kontakt', 'kontakt.skovde'],
    body: 'form',
    fields: {
      person: (random, values) =>
        random.weighted([
          [2, () => realValue(random, values, 'personalIdentityNumbers')],
          [2, () => realValue(random, values, 'personHsaIds')],
          [1, () => personalIdentityNumber(random)],
        ])(),
      type: oneOf(...orderTypes),
    },
  },
  {
    file: 'admin.datorer',
    actors: ['admin', 'support'],
    body: 'form',
    fields: {
      intent: oneOf('create_code', 'create_batch', 'withdraw_code'),
      computerName: oneOf('Mottagningen 3, rum 12', 'Akuten', ''),
      validHours: oneOf('1', '8', '24', '48'),
      count: oneOf('2', '40', '5000', '5001', '1'),
      validDays: oneOf('1', '7', '14', '30'),
      codeId: real('enrolmentCodeIds'),
    },
  },
  {
    file: 'admin.datorer_.$agentId',
    actors: ['admin', 'support'],
    body: 'form',
    fields: { intent: oneOf('rename', 'revoke'), name: oneOf('Akuten rum 7', 'Mottagningen Östra', '') },
  },
  {
    file: 'admin.las-upp-kort',
    actors: ['idadmin1', 'idadmin2', 'support'],
    body: 'form',
    fields: {
      intent: oneOf('pair'),
      supportCode: code,
      person: (random, values) =>
        random.weighted([
          [2, () => realValue(random, values, 'personIds')],
          [2, () => realValue(random, values, 'personHsaIds')],
          [1, () => personalIdentityNumber(random)],
        ])(),
    },
  },
  {
    file: 'admin.las-upp-kort_.$assistId',
    actors: ['idadmin1', 'idadmin2', 'support'],
    body: 'form',
    fields: {
      intent: oneOf('start', 'cancel', 'end'),
      readerName: oneOf('Virtual PCD 00 00', 'Virtual PCD 00 01'),
      method: oneOf('id_document', 'video_call'),
      documentType: oneOf('passport', 'national_id_card', 'driving_licence', 'service_id_card'),
      documentNumberEnd: oneOf('1234', 'AB12', '12'),
    },
  },
  {
    file: 'admin.personer_.$personId_.sparra',
    related: (random, related): Record<string, string> => {
      if (random.chance(0.5)) {
        const card = random.pick(related.heldCards);
        return { personId: card.personId, kort: card.cardId };
      }
      const eid = random.pick(related.heldEids);
      return { personId: eid.personId, eid: eid.eidId };
    },
    actors: ['idadmin1', 'idadmin2'],
    body: 'form',
    fields: {
      intent: oneOf('review', 'sign', 'confirm'),
      reason: oneOf('lost', 'stolen', 'compromised', 'employment_ended', 'incorrect_data', 'replaced'),
      method: oneOf('card', 'mobile_siths'),
      orderId: real('authOrderIds'),
    },
    query: { kort: real('cardIds'), eid: real('eidIds') },
  },
  {
    file: 'admin.reservkort',
    actors: ['kontakt', 'kontakt.skovde'],
    body: 'form',
    fields: {
      serial: (random, values) =>
        random.chance(0.7) ? cardSerial(random) : realValue(random, values, 'cardSerials'),
      productCode: oneOf('SITHS-RES-2', 'SITHS-RES-3', 'siths-res-2'),
      trustLevel: oneOf('2', '3'),
      unitId: real('unitIds'),
    },
  },
  {
    file: 'admin.reservkort_.aktivera',
    related: (random, related) => {
      const order = random.pick(related.reserveOrders);
      const sameUnit = related.stockCards.filter((card) => card.unitId === order.unitId);
      return {
        orderId: order.orderId,
        cardId: random.pick(sameUnit.length > 0 ? sameUnit : related.stockCards).cardId,
      };
    },
    actors: ['kontakt', 'kontakt.skovde'],
    body: 'form',
    fields: { orderId: real('orderIds'), cardId: real('cardIds') },
  },
  {
    file: 'admin.reservkort_.enhet.$unitId',
    actors: ['kontakt', 'kontakt.skovde'],
    body: 'form',
    fields: { threshold: oneOf('0', '5', '999', '12') },
  },
  {
    file: 'admin.reservkort_.kort.$cardId.dra-tillbaka',
    related: (random, related) => {
      const cardId = random.pick(related.stockCards).cardId;
      return { cardId };
    },
    actors: ['kontakt', 'kontakt.skovde'],
    body: 'form',
    fields: { cardId: real('cardIds') },
  },
  {
    file: 'logga-in',
    actors: [null],
    body: 'form',
    fields: {
      username: oneOf('admin', 'chef', 'kontakt', 'support', 'ADMIN', 'nobody'),
      password: oneOf('demo-admin-2026', 'fel-lösenord', ''),
      redirectTo: oneOf('/admin', '/admin/personer', '//evil.example', '/\\evil.example'),
    },
  },
  { file: 'logga-ut', actors: ['admin', 'chef', 'support'], body: 'form', fields: {} },
  {
    file: 'mina-sidor.aktivera',
    actors: ['carina', 'olof', null],
    body: 'form',
    fields: { intent: oneOf('register', 'collect', 'activate'), orderId: real('authOrderIds') },
  },
  {
    file: 'mina-sidor.hamta-mobilt-siths',
    actors: ['carina', 'olof'],
    body: 'form',
    fields: { accept: oneOf('on') },
  },
  {
    file: 'mina-sidor.las-upp.$cardId',
    related: (random, related) => ({ cardId: random.pick(related.heldCards).cardId }),
    actors: ['carina', 'olof'],
    body: 'form',
    fields: { intent: oneOf('reauth', 'unlock'), reauthOrderId: real('authOrderIds') },
  },
  {
    file: 'mina-sidor.kortorder.$orderId',
    actors: ['carina', 'olof', null],
    body: 'form',
    fields: { intent: oneOf('cancel', 'restart') },
  },
  {
    file: 'logga-in_.annan-enhet',
    actors: [null, 'carina'],
    body: 'form',
    fields: { intent: oneOf('collect', 'restart', 'cancel'), orderId: real('authOrderIds') },
    query: { redirectTo: oneOf('/admin', '/admin/bestallningar', '//evil.example', '/\\evil.example') },
  },
  {
    file: 'logga-in_.denna-enhet',
    actors: [null, 'carina'],
    body: 'form',
    fields: { intent: oneOf('collect', 'start'), orderId: real('authOrderIds') },
    query: { redirectTo: oneOf('/admin', '/admin/personer', '//evil.example') },
  },
  {
    file: 'mina-sidor.logga-in.annan-enhet',
    actors: [null],
    body: 'form',
    fields: { intent: oneOf('collect', 'restart', 'cancel'), orderId: real('authOrderIds') },
  },
  {
    file: 'mina-sidor.logga-in.denna-enhet',
    actors: [null],
    body: 'form',
    fields: { intent: oneOf('collect', 'start'), orderId: real('authOrderIds') },
  },
  { file: 'mina-sidor.logga-ut', actors: ['carina', 'olof'], body: 'form', fields: {} },
  {
    file: 'mobilt-siths.api.registrera',
    actors: [null],
    body: 'json',
    fields: {
      token: base64url43,
      deviceName: oneOf('Min telefon', 'iPhone'),
      publicKey: base64(91),
      code,
      signature: base64(64),
    },
  },
  {
    file: 'siths-eid-appen.api.registrera',
    actors: [null],
    body: 'json',
    fields: {
      code: oneOf('ABCD-EFGH-JKMN', 'abcdefghjkmn', ''),
      publicKey: base64(91),
      hostname: oneOf('pc-0042', 'mottagning-3'),
      os: oneOf('Debian GNU/Linux 12 (bookworm)', 'Windows 11'),
      agentVersion: oneOf('0.2.0', '0.1.0'),
    },
  },
  {
    file: 'siths-eid-appen.api.utmaning',
    actors: [null],
    body: 'json',
    fields: { agentId: real('agentIds') },
  },
  {
    file: 'mobilt-siths.api.signera',
    actors: [null],
    body: 'json',
    fields: { orderId: real('authOrderIds'), deviceId: real('mobileDeviceIds'), code, signature: base64(64) },
  },
  {
    file: 'mobilt-siths.api.skanna',
    actors: [null],
    body: 'json',
    fields: {
      qrContent: (random) =>
        random.pick(['siths:login:', 'siths:enrol:', 'x']) + base64url43(random, {} as RealValues),
      deviceId: real('mobileDeviceIds'),
    },
  },
  {
    file: 'sprak',
    actors: [null, 'carina'],
    body: 'form',
    fields: { locale: oneOf('sv', 'en'), returnTo: oneOf('/mina-sidor', '/admin', '//evil.example') },
  },
];

/** Query parameters some loader reads (filters, flags, redirect targets), each with a plausible value. */
export const queryParameters: Record<string, Good> = {
  q: oneOf('Anna', '1984', 'SE2321000131', 'Demo-dator', 'ÖSTRA'),
  search: oneOf('Carina', 'SE2321000131-E'),
  status: oneOf('in_stock', 'assigned', 'placed', 'ready'),
  state: oneOf(...orderStates, 'running', 'failed', 'connected', 'not_connected', 'revoked', 'outdated'),
  type: oneOf(...orderTypes),
  tillitsniva: oneOf('2', '3'),
  sparrat: oneOf('kort', 'eid'),
  bestallning: real('orderIds'),
  person: real('personIds'),
  redirectTo: oneOf('/admin', '//evil.example'),
  returnTo: oneOf('/mina-sidor'),
  bekrafta: oneOf('approve', 'cancel', 'sparra'),
  klart: oneOf('approve', 'enhet', 'roll', 'namn', 'sparrad'),
  kort: real('cardIds'),
  eid: real('eidIds'),
  enhet: real('unitIds'),
  unitId: real('unitIds'),
  unit: real('unitIds'),
  from: oneOf('2026-01-01', '2026-02-30', '0000-00-00'),
  to: oneOf('2026-12-31', '1970-01-01'),
  placedBy: real('userIds'),
  sort: oneOf('created_desc', 'created_asc', 'person'),
  page: oneOf('1', '2', '100000', '100001'),
  actor: oneOf('admin', 'chef'),
  action: oneOf('order_place', 'login'),
  objectType: oneOf('order', 'card'),
  objectId: real('orderIds'),
  outcome: oneOf('success', 'refused', 'failed'),
  maxAgeMinutes: oneOf('15', '60', '1440'),
  sparat: oneOf('1'),
  registrerat: (random) => cardSerial(random),
  tilldelat: (random) => cardSerial(random),
  tillbakadraget: (random) => cardSerial(random),
};

/** Which real rows a route parameter names; routes under mina-sidor name auth orders, not SITHS eID orders. */
export function paramKind(file: string, param: string): RealKind | null {
  if (param === 'orderId') return file.startsWith('mina-sidor') ? 'authOrderIds' : 'orderIds';
  const kinds: Record<string, RealKind> = {
    unitId: 'unitIds',
    assignmentId: 'assignmentIds',
    personId: 'personIds',
    cardId: 'cardIds',
    jobId: 'jobIds',
    enrolmentId: 'enrolmentIds',
    agentId: 'agentIds',
  };
  return kinds[param] ?? null;
}

export interface RouteModule {
  file: string;
  /** The URL pattern: `:name` for a parameter. */
  pattern: string;
  params: string[];
  hasAction: boolean;
  hasLoader: boolean;
}

/** Remix flat routes: dots are slashes, `$x` a parameter, `_index` the index, a trailing `_` opts out of the layout. */
export function urlPatternOf(file: string): string {
  const segments = file
    .replace(/\[(.*?)\]/g, (_match, literal: string) => literal.replaceAll('.', '\u0000'))
    .split('.')
    .filter((segment) => segment !== '_index' && !segment.startsWith('_'))
    .map((segment) => segment.replace(/_$/, '').replaceAll('\u0000', '.'))
    .map((segment) => (segment.startsWith('$') ? `:${segment.slice(1)}` : segment));
  return `/${segments.join('/')}`;
}

export function listRouteModules(directory = 'app/routes'): RouteModule[] {
  return readdirSync(directory)
    .filter((name) => /\.tsx?$/.test(name) && !name.endsWith('.test.ts'))
    .map((name) => {
      const file = name.replace(/\.tsx?$/, '');
      const source = readFileSync(`${directory}/${name}`, 'utf8');
      const pattern = urlPatternOf(file);
      return {
        file,
        pattern,
        params: [...pattern.matchAll(/:(\w+)/g)].map((match) => match[1]!),
        hasAction: /export (async )?function action\b|export const action\b/.test(source),
        hasLoader: /export (async )?function loader\b|export const loader\b/.test(source),
      };
    });
}
