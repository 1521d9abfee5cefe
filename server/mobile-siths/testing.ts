import { generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { and, eq } from 'drizzle-orm';
import { completeAuthOrder, findAuthOrder } from '../../db/auth-orders';
import type { AppDatabase } from '../../db/connection';
import { demoCards } from '../../db/demo-fixtures';
import { first } from '../../db/engine';
import { cards, eids, persons, users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { openTestDatabase } from '../../test-support/test-database';
import { createPki } from '../pki/create-pki';
import { signedStatementsOf } from '../pki/signed-statement';
import type { Pki } from '../pki/types';
import { createTestLoadContext } from '../testing/load-context';
import { enrolmentSignedMessage, registerMobileDevice, startMobileEnrolment } from './enrolment';

/** A phone in a test: an ECDSA P-256 key made in node, signing as WebCrypto does (IEEE P1363). */
export class TestPhone {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  deviceId = '';

  constructor(readonly name = 'Xiaomi 22126RN91Y') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  spki(): Buffer {
    return this.publicKey.export({ format: 'der', type: 'spki' });
  }

  sign(message: Buffer): Buffer {
    return sign('sha256', message, { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
  }
}

export interface TestEndUser {
  userId: string;
  personId: string;
  displayName: string;
  cardSerial: string;
  /** A session opened with the person's card, as the card login makes it. */
  sessionId: string;
  cookie: string;
}

export interface MobileSithsFixture {
  db: AppDatabase;
  pki: Pki;
  context: AppLoadContext;
  carina: TestEndUser;
  olof: TestEndUser;
  /** Logs in another demo user with a person and an active card (e.g. `idadmin1`), with their card. */
  cardLogin(username: string): Promise<TestEndUser>;
  /** Enrols `phone` for the user (card session) with `code`; fails the test on a refusal. */
  enrol(user: TestEndUser, phone: TestPhone, code?: string): Promise<void>;
}

export const testMasterKey = Buffer.alloc(32, 0x24);
export const testAddress = '192.0.2.10';

/** The demo database, a PKI over it, and Carina and Olof logged in with their cards; the caller closes `db`. */
export async function mobileSithsFixture(): Promise<MobileSithsFixture> {
  const db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async () => 'no-password' });
  const pki = createPki({ db, masterKey: testMasterKey });
  await pki.ensureHierarchy();
  const context = {
    ...createTestLoadContext(db),
    pki,
    signedStatements: signedStatementsOf(pki),
  } as AppLoadContext;
  const cardLogin = async (username: string, serial?: string): Promise<TestEndUser> => {
    const user = first(await db.select().from(users).where(eq(users.username, username)).limit(1));
    if (!user?.personId) throw new Error(`no demo end user ${username}`);
    const card = first(
      await db
        .select()
        .from(cards)
        .where(
          and(
            eq(cards.holderPersonId, user.personId),
            eq(cards.state, 'active'),
            ...(serial ? [eq(cards.serial, serial)] : []),
          ),
        )
        .limit(1),
    );
    if (!card) throw new Error(`no active card for ${username}`);
    const session = await context.sessions.create({
      userId: user.id,
      loginMethod: 'card',
      loginCredential: card.serial,
    });
    return {
      userId: user.id,
      personId: user.personId,
      displayName: user.displayName,
      cardSerial: card.serial,
      sessionId: session.sessionId,
      cookie: session.cookie.split(';')[0]!,
    };
  };
  const carina = await cardLogin('carina', demoCards.activeOrdinary);
  const olof = await cardLogin('olof');
  return {
    db,
    pki,
    context,
    carina,
    olof,
    cardLogin: (username) => cardLogin(username),
    async enrol(user, phone, code = '123456') {
      const started = await startMobileEnrolment(
        db,
        { ...user, loginMethod: 'card' },
        { address: testAddress, now: new Date() },
      );
      if (!started.ok) throw new Error(`enrolment refused: ${started.refusal}`);
      const token = started.qrContent.slice('mobilesiths-enrol.'.length);
      const registered = await registerMobileDevice(
        { db, pki, isSessionActive: (sessionId) => context.sessions.isActive(sessionId) },
        {
          token,
          deviceName: phone.name,
          publicKeySpki: phone.spki(),
          code,
          signature: phone.sign(enrolmentSignedMessage(token)),
          address: testAddress,
          now: new Date(),
        },
      );
      if (!registered.ok) throw new Error(`registration refused: ${registered.refusal}`);
      phone.deviceId = registered.deviceId;
    },
  };
}

export async function personName(db: AppDatabase, personId: string): Promise<string> {
  const person = first(await db.select().from(persons).where(eq(persons.id, personId)).limit(1));
  return person ? `${person.givenName} ${person.surname}` : '';
}

/**
 * What the Mobile SITHS server does once a phone has signed a decision's statement (or `text`, to test an
 * altered one): the signing order is completed with the signature and the device's eID certificate.
 */
export async function phoneSignsStatement(
  db: AppDatabase,
  input: { orderId: string; phone: TestPhone; signerPersonId: string; text?: string },
): Promise<void> {
  const order = await findAuthOrder(db, input.orderId);
  if (!order?.statement) throw new Error(`no statement to sign on order ${input.orderId}`);
  const eid = first(
    await db.select().from(eids).where(eq(eids.mobileDeviceId, input.phone.deviceId)).limit(1),
  );
  if (!eid?.certificatePem) throw new Error(`no Mobile SITHS eID on device ${input.phone.deviceId}`);
  const certificate = new X509Certificate(eid.certificatePem).raw;
  await completeAuthOrder(
    db,
    input.orderId,
    {
      personId: input.signerPersonId,
      mobileDeviceId: input.phone.deviceId,
      statementSignature: {
        signature: input.phone.sign(Buffer.from(input.text ?? order.statement, 'utf8')).toString('base64'),
        certificate: certificate.toString('base64'),
      },
    },
    new Date(),
  );
}
