import { luhnCheckDigit } from '../protocol/identifiers';
import type { OrderState, OrderType, PasswordLoginKind, StaffRole } from './schema';

/** The fixed facts of the demo region: what the README, the demo script and e2e tests may rely on. */

export const demoOrganisation = 'Västra Götalandsregionen';
export const demoRootUnitHsaId = 'SE2321000131-E000000000001';
export const demoIssuingCa = 'SITHS e-id Person HSA-id 3 CA v1';
export const defaultDemoAgentToken = 'demo-agent-token-not-secret';
export const demoAgentName = 'Demo-dator (virtuell kortläsare)';

export const demoProductCodes = {
  ordinary: 'SITHS-ORD-3',
  reserveLoa2: 'SITHS-RES-2',
  reserveLoa3: 'SITHS-RES-3',
} as const;

/** Card serials the demo script gives its virtual cards. */
export const demoCards = {
  /** Carina's ordinary card, PIN blocked: the unlock flow. */
  lockedOrdinary: '9752269885719985027',
  /** Carina's working ordinary card: login with card. */
  activeOrdinary: '9752247160388452098',
  /** Reserve card assigned to Olof by a ready reserve_card_loa2 order: the activation flow. */
  reserveNotActivated: '9752316495727304824',
  /** Reserve card in stock at Akutmottagning Sahlgrenska with no order: error 2006. */
  reserveNoOrder: '9752319082544177364',
} as const;

/**
 * The demo staff's own ordinary SITHS cards. In the demo and in tests each is a virtual card of its own, with
 * the staff member's certificates: they log in with it (9A, PIN) and sign decisions with it (9C).
 */
export const demoStaffCards = {
  chef: '9752240000000000015',
  kontakt: '9752240000000000023',
  kontaktSkovde: '9752240000000000031',
  idadmin1: '9752240000000000049',
  idadmin2: '9752240000000000056',
  support: '9752240000000000064',
} as const;

export type DemoUnitKey =
  | 'vgr'
  | 'su'
  | 'suAkut'
  | 'suKardio'
  | 'suNeuro'
  | 'narhalsan'
  | 'nhLerum'
  | 'nhKungalv'
  | 'skas'
  | 'skasOrto'
  | 'skasMedicin'
  | 'koncernkontoret'
  | 'kkIdentitet';

export interface DemoUnitFixture {
  key: DemoUnitKey;
  hsaId: string;
  name: string;
  parent: DemoUnitKey | null;
  lowStockThreshold: number;
  /** Generated persons placed in the unit, besides the named ones. */
  generatedPersons: number;
  /** Reserve cards in stock: [trust level 2, trust level 3]. */
  reserveStock: readonly [number, number];
}

export const demoUnits: readonly DemoUnitFixture[] = [
  unit('vgr', demoRootUnitHsaId, demoOrganisation, null, 0, 0, [0, 0]),
  unit('su', 'SE2321000131-S000000010100', 'Sahlgrenska Universitetssjukhuset', 'vgr', 0, 6, [0, 0]),
  unit('suAkut', 'SE2321000131-S000000010112', 'Akutmottagning Sahlgrenska', 'su', 6, 36, [5, 3]),
  unit('suKardio', 'SE2321000131-S000000010127', 'Kardiologi Sahlgrenska', 'su', 5, 30, [4, 2]),
  unit('suNeuro', 'SE2321000131-S000000010135', 'Neurologi Sahlgrenska', 'su', 5, 21, [3, 3]),
  unit('narhalsan', 'SE2321000131-S000000020200', 'Närhälsan', 'vgr', 0, 2, [0, 0]),
  unit('nhLerum', 'SE2321000131-S000000020216', 'Närhälsan Vårdcentral Lerum', 'narhalsan', 4, 18, [3, 2]),
  unit(
    'nhKungalv',
    'SE2321000131-S000000020229',
    'Närhälsan Vårdcentral Kungälv',
    'narhalsan',
    4,
    16,
    [3, 1],
  ),
  unit('skas', 'SE2321000131-S000000030300', 'Skaraborgs Sjukhus Skövde', 'vgr', 0, 5, [0, 0]),
  unit('skasOrto', 'SE2321000131-S000000030314', 'Ortopedi Skövde', 'skas', 5, 22, [1, 1]),
  unit('skasMedicin', 'SE2321000131-S000000030322', 'Medicinmottagning Skövde', 'skas', 5, 27, [4, 3]),
  unit('koncernkontoret', 'SE2321000131-S000000040400', 'Koncernkontoret', 'vgr', 0, 3, [0, 0]),
  unit(
    'kkIdentitet',
    'SE2321000131-S000000040418',
    'Identitet och behörighet',
    'koncernkontoret',
    0,
    5,
    [0, 0],
  ),
];

/** Ortopedi Skövde holds 2 reserve cards against a threshold of 5. */
export const demoLowStockUnitHsaId = 'SE2321000131-S000000030314';

function unit(
  key: DemoUnitKey,
  hsaId: string,
  name: string,
  parent: DemoUnitKey | null,
  lowStockThreshold: number,
  generatedPersons: number,
  reserveStock: readonly [number, number],
): DemoUnitFixture {
  return { key, hsaId, name, parent, lowStockThreshold, generatedPersons, reserveStock };
}

export type DemoPersonKey =
  | 'carina'
  | 'olof'
  | 'chef'
  | 'kontakt'
  | 'kontaktSkovde'
  | 'idadmin1'
  | 'idadmin2'
  | 'support'
  | 'elsa';

export interface DemoPersonFixture {
  key: DemoPersonKey;
  hsaId: string;
  personalIdentityNumber: string;
  givenName: string;
  surname: string;
  email: string | null;
  unit: DemoUnitKey;
}

export const demoPersons: Readonly<Record<DemoPersonKey, DemoPersonFixture>> = {
  carina: person('carina', 1, '19840312', 982, 'Carina', 'Svensson Andersson', 'suAkut'),
  olof: person('olof', 2, '19710905', 993, 'Olof', 'Lindqvist', 'suKardio'),
  chef: person('chef', 3, '19690421', 984, 'Anna', 'Bergström', 'su'),
  kontakt: person('kontakt', 4, '19780117', 987, 'Johan', 'Lindberg', 'su'),
  kontaktSkovde: person('kontaktSkovde', 5, '19750630', 986, 'Eva', 'Karlsson', 'skas'),
  idadmin1: person('idadmin1', 6, '19620203', 981, 'Lars', 'Eriksson', 'kkIdentitet'),
  idadmin2: person('idadmin2', 7, '19880915', 980, 'Fatima', 'Hassan', 'kkIdentitet'),
  support: person('support', 8, '19910708', 989, 'Mikael', 'Holm', 'kkIdentitet'),
  // A summer substitute under 18, without an email in the catalogue.
  elsa: { ...person('elsa', 9, '20100817', 988, 'Elsa', 'Nyström', 'nhLerum'), email: null },
};

function person(
  key: DemoPersonKey,
  index: number,
  birthDate: string,
  birthNumber: number,
  givenName: string,
  surname: string,
  unitKey: DemoUnitKey,
): DemoPersonFixture {
  return {
    key,
    hsaId: demoPersonHsaId(index),
    personalIdentityNumber: personalIdentityNumber(birthDate, birthNumber),
    givenName,
    surname,
    email: vgregionEmail(givenName, surname),
    unit: unitKey,
  };
}

/** The demo login that also holds protected_identity_viewer: Anna Bergström may see protected identities. */
export const demoProtectedIdentityViewer = 'chef';

/**
 * A nurse at Akutmottagning Sahlgrenska with a protected identity (skyddade personuppgifter): the directory
 * marks her, and only holders of protected_identity_viewer see her personnummer, e-mail and unit.
 */
export const demoProtectedPerson = {
  hsaId: demoPersonHsaId(900),
  personalIdentityNumber: personalIdentityNumber('19860224', 983),
  givenName: 'Sara',
  surname: 'Lund',
  email: vgregionEmail('Sara', 'Lund'),
  unit: 'suAkut',
} as const satisfies Omit<DemoPersonFixture, 'key'>;

/** Test HSA-ids TSTNMT2321000156-1001, -1002, ... */
export function demoPersonHsaId(index: number): string {
  return `TSTNMT2321000156-${1000 + index}`;
}

/** YYYYMMDD + birth number + Luhn check digit over the last nine digits. */
export function personalIdentityNumber(birthDate: string, birthNumber: number): string {
  const body = `${birthDate}${String(birthNumber).padStart(3, '0')}`;
  return `${body}${luhnCheckDigit(body.slice(2))}`;
}

/** The digit that makes `digits + check` pass the Luhn (modulus 10, weights 2-1 from the right) test. */

export function vgregionEmail(givenName: string, surname: string, suffix = ''): string {
  const local = `${givenName}.${surname}`
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, '.');
  return `${local}${suffix}@vgregion.se`;
}

export interface DemoLogin {
  username: string;
  password: string;
  role: StaffRole;
  /** Null for roles that cover the whole region. */
  unitHsaId: string | null;
  person: DemoPersonKey | null;
  /**
   * The bootstrap administrator keeps a break-glass password; the other demo staff log in with their SITHS
   * eID, and their passwords work only while the demo flag is on (DEMO_PASSWORD_LOGINS).
   */
  passwordLogin: PasswordLoginKind;
  sees: string;
}

export const demoLogins: readonly DemoLogin[] = [
  {
    username: 'admin',
    password: 'demo-admin-2026',
    role: 'system_admin',
    unitHsaId: null,
    person: null,
    passwordLogin: 'break_glass',
    sees: 'The whole region: units, staff roles, HSA catalog import',
  },
  {
    username: 'chef',
    password: 'demo-chef-2026',
    role: 'manager',
    unitHsaId: 'SE2321000131-S000000010100',
    person: 'chef',
    passwordLogin: 'demo',
    sees: 'Sahlgrenska Universitetssjukhuset and its sub-units: people, cards, orders; places orders',
  },
  {
    username: 'kontakt',
    password: 'demo-kontakt-2026',
    role: 'contact_person',
    unitHsaId: 'SE2321000131-S000000010100',
    person: 'kontakt',
    passwordLogin: 'demo',
    sees: 'Sahlgrenska and its sub-units: orders, reserve-card stock, activates reserve cards',
  },
  {
    username: 'kontakt.skovde',
    password: 'demo-kontakt-skovde-2026',
    role: 'contact_person',
    unitHsaId: 'SE2321000131-S000000030300',
    person: 'kontaktSkovde',
    passwordLogin: 'demo',
    sees: 'Skaraborgs Sjukhus Skövde and its sub-units only (nothing at Sahlgrenska)',
  },
  {
    username: 'idadmin1',
    password: 'demo-idadmin1-2026',
    role: 'id_admin',
    unitHsaId: null,
    person: 'idadmin1',
    passwordLogin: 'demo',
    sees: 'The whole region: second approval of LoA3 reserve cards, revocation',
  },
  {
    username: 'idadmin2',
    password: 'demo-idadmin2-2026',
    role: 'id_admin',
    unitHsaId: null,
    person: 'idadmin2',
    passwordLogin: 'demo',
    sees: 'The whole region: second approval of LoA3 reserve cards, revocation',
  },
  {
    username: 'support',
    password: 'demo-support-2026',
    role: 'support',
    unitHsaId: null,
    person: 'support',
    passwordLogin: 'demo',
    sees: 'Live agent sessions; reads orders and cards, changes nothing',
  },
];

/** End users of Mina sidor: linked to their persons, no password (they log in with SITHS eID). */
export const demoEndUsers = [
  { username: 'carina', person: 'carina' },
  { username: 'olof', person: 'olof' },
] as const satisfies readonly { username: string; person: DemoPersonKey }[];

export const demoMobileDeviceNames = [
  'iPhone 15',
  'iPhone 14',
  'iPhone 13 mini',
  'Xiaomi 22126RN91Y',
  'Samsung Galaxy S23',
  'Samsung Galaxy A54 5G',
  'Google Pixel 8',
] as const;

export const demoRevocationReasons = {
  card: ['Kortet har tappats bort', 'Kortet har blivit stulet', 'Kortet är skadat'],
  mobile: ['Telefonen har bytts ut', 'Telefonen har tappats bort'],
} as const;

/** Who a demo order is for: a named person, or a generated person of the order's unit. */
export type DemoOrderSubject = DemoPersonKey | 'generated';

export interface DemoOrderStep {
  to: OrderState;
  /** A demo username, or null for the system (expiry) or the end user fetching the eID. */
  by: string | null;
  note?: string;
}

export interface DemoOrderPlan {
  type: OrderType;
  unit: DemoUnitKey;
  subject: DemoOrderSubject;
  daysAgo: number;
  steps: readonly DemoOrderStep[];
  /** The reserve card linked through orders.cardId, in the state the order leaves it. */
  reserveCard?: 'assigned' | 'active' | 'reserveNotActivated';
}

const fetched = { to: 'fulfilled', by: null, note: 'Hämtad av användaren' } as const;
const approved = { to: 'ready', by: 'idadmin1', note: 'Godkänd' } as const;
const secondApprovalNeeded = {
  to: 'awaiting_second_approval',
  by: 'idadmin1',
  note: 'Godkänd; tillitsnivå 3 kräver godkännande av en andra ID-administratör',
} as const;
const secondApproval = { to: 'ready', by: 'idadmin2', note: 'Godkänd av andra ID-administratör' } as const;

export const demoOrderPlans: readonly DemoOrderPlan[] = [
  {
    type: 'eid_on_card',
    unit: 'suAkut',
    subject: 'generated',
    daysAgo: 2,
    steps: [{ to: 'placed', by: 'chef' }],
  },
  {
    type: 'mobile',
    unit: 'suNeuro',
    subject: 'generated',
    daysAgo: 1,
    steps: [{ to: 'placed', by: 'kontakt' }],
  },
  {
    type: 'eid_on_card',
    unit: 'skasMedicin',
    subject: 'generated',
    daysAgo: 3,
    steps: [{ to: 'placed', by: 'kontakt.skovde' }],
  },
  {
    type: 'reserve_card_loa3',
    unit: 'suKardio',
    subject: 'generated',
    daysAgo: 4,
    steps: [{ to: 'placed', by: 'kontakt' }, secondApprovalNeeded],
  },
  {
    type: 'reserve_card_loa3',
    unit: 'skasOrto',
    subject: 'generated',
    daysAgo: 6,
    steps: [{ to: 'placed', by: 'kontakt.skovde' }, secondApprovalNeeded],
  },
  {
    type: 'reserve_card_loa2',
    unit: 'suKardio',
    subject: 'olof',
    daysAgo: 5,
    reserveCard: 'reserveNotActivated',
    steps: [{ to: 'placed', by: 'kontakt' }, approved],
  },
  {
    type: 'reserve_card_loa3',
    unit: 'suAkut',
    subject: 'generated',
    daysAgo: 9,
    reserveCard: 'assigned',
    steps: [{ to: 'placed', by: 'kontakt' }, secondApprovalNeeded, secondApproval],
  },
  {
    type: 'mobile',
    unit: 'nhLerum',
    subject: 'generated',
    daysAgo: 8,
    steps: [{ to: 'placed', by: 'chef' }, approved],
  },
  {
    type: 'eid_on_card',
    unit: 'suKardio',
    subject: 'generated',
    daysAgo: 30,
    steps: [{ to: 'placed', by: 'chef' }, approved, fetched],
  },
  {
    type: 'reserve_card_loa2',
    unit: 'suAkut',
    subject: 'generated',
    daysAgo: 21,
    reserveCard: 'active',
    steps: [{ to: 'placed', by: 'kontakt' }, approved, fetched],
  },
  {
    type: 'mobile',
    unit: 'suAkut',
    subject: 'generated',
    daysAgo: 40,
    steps: [{ to: 'placed', by: 'chef' }, approved, fetched],
  },
  {
    type: 'reserve_card_loa3',
    unit: 'skasMedicin',
    subject: 'generated',
    daysAgo: 50,
    reserveCard: 'active',
    steps: [{ to: 'placed', by: 'kontakt.skovde' }, secondApprovalNeeded, secondApproval, fetched],
  },
  {
    type: 'eid_on_card',
    unit: 'suNeuro',
    subject: 'generated',
    daysAgo: 15,
    steps: [
      { to: 'placed', by: 'chef' },
      { to: 'cancelled', by: 'chef', note: 'Fel person vald' },
    ],
  },
  {
    type: 'reserve_card_loa3',
    unit: 'suNeuro',
    subject: 'generated',
    daysAgo: 25,
    steps: [
      { to: 'placed', by: 'kontakt' },
      secondApprovalNeeded,
      { to: 'cancelled', by: 'idadmin2', note: 'Avslogs vid andra godkännandet: tillitsnivå 2 räcker' },
    ],
  },
  {
    type: 'mobile',
    unit: 'nhKungalv',
    subject: 'generated',
    daysAgo: 120,
    steps: [
      { to: 'placed', by: 'chef' },
      approved,
      { to: 'expired', by: null, note: 'Inte hämtad inom 3 månader' },
    ],
  },
  {
    type: 'reserve_card_loa2',
    unit: 'skasOrto',
    subject: 'generated',
    daysAgo: 150,
    steps: [
      { to: 'placed', by: 'kontakt.skovde' },
      { to: 'expired', by: null, note: 'Inte hämtad inom 3 månader' },
    ],
  },
];

export const demoGivenNames = {
  female: [
    'Anna',
    'Maria',
    'Eva',
    'Karin',
    'Sara',
    'Emma',
    'Lena',
    'Kristina',
    'Elin',
    'Ida',
    'Johanna',
    'Malin',
    'Linnea',
    'Sofia',
    'Hanna',
    'Ingrid',
    'Amira',
    'Leila',
    'Helena',
    'Camilla',
    'Ulrika',
    'Åsa',
    'Frida',
    'Matilda',
    'Agnes',
    'Ebba',
    'Maja',
    'Annika',
    'Birgitta',
    'Jenny',
    'Zeynep',
    'Therese',
  ],
  male: [
    'Erik',
    'Lars',
    'Karl',
    'Anders',
    'Johan',
    'Per',
    'Nils',
    'Mikael',
    'Jonas',
    'Andreas',
    'Fredrik',
    'Daniel',
    'Magnus',
    'Björn',
    'Oskar',
    'Gustav',
    'Axel',
    'Viktor',
    'Henrik',
    'Mattias',
    'Ahmed',
    'Ali',
    'Omar',
    'Jesper',
    'Stefan',
    'Peter',
    'Ulf',
    'Hampus',
    'Emil',
    'Linus',
    'Reza',
    'Göran',
  ],
} as const;

export const demoSurnames = [
  'Andersson',
  'Johansson',
  'Karlsson',
  'Nilsson',
  'Eriksson',
  'Larsson',
  'Olsson',
  'Persson',
  'Svensson',
  'Gustafsson',
  'Pettersson',
  'Jonsson',
  'Jansson',
  'Hansson',
  'Bengtsson',
  'Jönsson',
  'Lindberg',
  'Jakobsson',
  'Magnusson',
  'Lindström',
  'Olofsson',
  'Lindqvist',
  'Lindgren',
  'Berg',
  'Axelsson',
  'Bergström',
  'Lundberg',
  'Lind',
  'Lundgren',
  'Lundqvist',
  'Mattsson',
  'Berglund',
  'Fredriksson',
  'Sandberg',
  'Henriksson',
  'Forsberg',
  'Sjöberg',
  'Wallin',
  'Engström',
  'Eklund',
  'Danielsson',
  'Lundin',
  'Håkansson',
  'Björk',
  'Bergman',
  'Gunnarsson',
  'Holm',
  'Wikström',
  'Samuelsson',
  'Fransson',
  'Hassan',
  'Ahmadi',
  'Nguyen',
  'Novak',
  'Yilmaz',
] as const;
