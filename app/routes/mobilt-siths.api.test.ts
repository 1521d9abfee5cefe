import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute } from '~/testing/route-harness';
import { findAuthOrder } from '../../db/auth-orders';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  TestPhone,
  testAddress,
} from '../../server/mobile-siths/testing';
import * as orderStatus from './mina-sidor.mobilt-siths.status.$orderId';
import * as signApi from './mobilt-siths.api.signera';
import * as scanApi from './mobilt-siths.api.skanna';

type Handler = Parameters<typeof callRoute>[0];

let fixture: MobileSithsFixture;
const carinasPhone = new TestPhone('Xiaomi 22126RN91Y');
const olofsPhone = new TestPhone('Google Pixel 8');

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  await fixture.enrol(fixture.carina, carinasPhone, '246810');
  await fixture.enrol(fixture.olof, olofsPhone, '13579135');
});
afterAll(async () => {
  await fixture.db.close();
});

const statementOf = (orderId: string) =>
  `Jag beslutar att spärra SITHS-kortet 9752270000000000019 för Olof Ödmark (borttappat).\nUnderskriftsorder ${orderId}.`;

/** A decision Carina signs, started by her (staff) login session. */
function startDecision() {
  return fixture.context.mobileSiths.startMobileAuthOrder(fixture.db, {
    purpose: 'sign_decision',
    expectedPersonId: fixture.carina.personId,
    sessionId: fixture.carina.sessionId,
    statementFor: statementOf,
    remoteAddress: testAddress,
    now: new Date(),
  });
}

function request(path: string, options: { cookie?: string; json?: unknown } = {}) {
  const headers = new Headers({ Accept: 'application/json' });
  if (options.cookie) headers.set('Cookie', options.cookie);
  if (options.json === undefined) return new Request(`http://localhost${path}`, { headers });
  headers.set('Content-Type', 'application/json');
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(options.json),
  });
}

const statusOf = (orderId: string, cookie?: string) =>
  callRoute(
    orderStatus.loader as Handler,
    request(`/mina-sidor/mobilt-siths/status/${orderId}`, { cookie }),
    fixture.context,
    { orderId },
  );

async function scanWith(phone: TestPhone, orderId: string) {
  const { data } = await statusOf(orderId, fixture.carina.cookie);
  const { qrContent } = data as { qrContent: string };
  return callRoute(
    scanApi.action as Handler,
    request('/mobilt-siths/api/skanna', { json: { qrContent, deviceId: phone.deviceId } }),
    fixture.context,
  );
}

const signWith = (phone: TestPhone, orderId: string, code: string, text: string) =>
  callRoute(
    signApi.action as Handler,
    request('/mobilt-siths/api/signera', {
      json: {
        orderId,
        deviceId: phone.deviceId,
        code,
        signature: phone.sign(Buffer.from(text, 'utf8')).toString('base64'),
      },
    }),
    fixture.context,
  );

describe('a decision signed on the phone', () => {
  it('is followed by the staff session that started it and no other, and the scan gives the decider the text to sign', async () => {
    const { orderId } = await startDecision();
    expect(await statusOf(orderId, fixture.carina.cookie)).toMatchObject({
      status: 200,
      data: { state: 'pending' },
    });
    const carinasOtherSession = await fixture.context.sessions.create({
      userId: fixture.carina.userId,
      loginMethod: 'card',
      loginCredential: fixture.carina.cardSerial,
    });
    for (const other of [fixture.olof.cookie, carinasOtherSession.cookie.split(';')[0], undefined]) {
      expect((await statusOf(orderId, other)).status).toBe(404);
    }

    const scanned = await scanWith(carinasPhone, orderId);
    expect(scanned).toMatchObject({
      status: 200,
      data: {
        ok: true,
        kind: 'sign',
        orderId,
        purpose: 'sign_decision',
        statement: statementOf(orderId),
        text: expect.stringMatching(/^Jag undertecknar hos \S+$/),
      },
    });
    expect(scanned.data).not.toHaveProperty('challenge');

    const { statement } = scanned.data as { statement: string };
    expect(await signWith(carinasPhone, orderId, '246810', statement)).toMatchObject({
      status: 200,
      data: { ok: true, purpose: 'sign_decision', message: 'Du har undertecknat' },
    });
    expect(await statusOf(orderId, fixture.carina.cookie)).toMatchObject({ data: { state: 'completed' } });
    expect(await findAuthOrder(fixture.db, orderId)).toMatchObject({ state: 'completed' });
  });

  it('gives no statement to another person’s phone', async () => {
    const { orderId } = await startDecision();
    const scanned = await scanWith(olofsPhone, orderId);
    expect(scanned).toMatchObject({ status: 403, data: { ok: false, refusal: 'wrong_person' } });
    expect(JSON.stringify(scanned.data)).not.toContain('spärra');
    expect(await statusOf(orderId, fixture.carina.cookie)).toMatchObject({
      data: { state: 'failed', refusal: 'wrong_person' },
    });
  });

  it('refuses, in Swedish, a signature of a text altered on its way to the phone', async () => {
    const { orderId } = await startDecision();
    const scanned = await scanWith(carinasPhone, orderId);
    const { statement } = scanned.data as { statement: string };
    const altered = statement.replace('spärra', 'behålla');
    expect(await signWith(carinasPhone, orderId, '246810', altered)).toMatchObject({
      status: 403,
      data: {
        ok: false,
        refusal: 'statement_mismatch',
        message: expect.stringContaining('Underskriften stämmer inte med texten som skulle undertecknas'),
      },
    });
    expect(await statusOf(orderId, fixture.carina.cookie)).toMatchObject({
      data: { state: 'failed', refusal: 'statement_mismatch' },
    });
  });
});
