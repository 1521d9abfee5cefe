import { generateKeyPairSync } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { createEnrolmentCode, revokeAgent } from '../../db/agent-enrolment';
import { first } from '../../db/engine';
import { agents, auditEvents, users } from '../../db/schema';
import * as enrolApi from './siths-eid-appen.api.registrera';
import * as challengeApi from './siths-eid-appen.api.utmaning';

let harness: RouteHarness;
let adminUserId: string;

beforeAll(async () => {
  harness = await createRouteHarness();
  adminUserId = first(await harness.db.select().from(users).where(eq(users.username, 'admin')))!.id;
});
afterAll(async () => {
  await harness.db.close();
});

const devicePublicKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');

const post = (path: string, body: unknown, address = '127.0.0.1') =>
  callRoute(
    (path.endsWith('registrera') ? enrolApi.action : challengeApi.action) as never,
    new Request(`http://127.0.0.1${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
    { ...harness.context, clientAddress: address },
  );

const enrolRequest = (code: string, publicKey = devicePublicKey()) => ({
  code,
  publicKey,
  hostname: 'pc-mottagning-3',
  os: 'Debian GNU/Linux 12 (bookworm)',
  agentVersion: '0.2.0',
});

const newCode = async (usesAllowed = 1) =>
  (
    await createEnrolmentCode(harness.db, {
      createdByUserId: adminUserId,
      computerName: usesAllowed === 1 ? 'Mottagningen 3' : null,
      usesAllowed,
      validForMs: 60 * 60_000,
      secret: harness.context.masterKey,
      now: new Date(),
    })
  ).code;

const refusalsFrom = async (address: string) =>
  harness.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'agent_enrol'), eq(auditEvents.objectId, address)));

describe('POST /siths-eid-appen/api/registrera', () => {
  it('enrols a computer with its code and public key, audited; the same code again is refused in Swedish', async () => {
    const code = await newCode();
    const enrolled = await post('/siths-eid-appen/api/registrera', enrolRequest(code));
    expect(enrolled).toMatchObject({ status: 200, data: { ok: true, name: 'Mottagningen 3' } });
    const agentId = (enrolled.data as { agentId: string }).agentId;
    const audited = await harness.db.select().from(auditEvents).where(eq(auditEvents.objectId, agentId));
    expect(audited).toMatchObject([{ action: 'agent_enrolled', outcome: 'success' }]);
    expect(JSON.stringify(audited)).not.toContain(code.replaceAll('-', ''));

    const again = await post('/siths-eid-appen/api/registrera', enrolRequest(code), '10.0.0.2');
    expect(again).toMatchObject({
      status: 409,
      data: { ok: false, code: 'used_code', message: 'Registreringskoden är redan använd. Be om en ny kod.' },
    });
    expect(await refusalsFrom('10.0.0.2')).toMatchObject([{ outcome: 'refused' }]);
  });

  it('refuses a body that is not the contract, and a key that is not P-256, with 400', async () => {
    const code = await newCode();
    expect(await post('/siths-eid-appen/api/registrera', { code })).toMatchObject({
      status: 400,
      data: { code: 'invalid_request' },
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    expect(await post('/siths-eid-appen/api/registrera', enrolRequest(code, rsa))).toMatchObject({
      status: 400,
      data: { code: 'invalid_request' },
    });
    // A host name names a batch's computer on staff pages: no text that reads differently than it is.
    expect(
      await post('/siths-eid-appen/api/registrera', { ...enrolRequest(code), hostname: 'pc-\u202egnp.exe' }),
    ).toMatchObject({ status: 400, data: { code: 'invalid_request' } });
    expect(
      await post('/siths-eid-appen/api/registrera', { ...enrolRequest(code), os: 'Debian\nWindows 11' }),
    ).toMatchObject({ status: 400, data: { code: 'invalid_request' } });
    // The code was not spent by the refused requests.
    expect(await post('/siths-eid-appen/api/registrera', enrolRequest(code))).toMatchObject({ status: 200 });
  });

  it('stops an address after ten codes that match nothing, with 429 and Retry-After, also for a right code', async () => {
    const address = '10.0.0.9';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect(
        await post('/siths-eid-appen/api/registrera', enrolRequest('ABCD-EFGH-JKMN'), address),
      ).toMatchObject({ status: 404, data: { code: 'unknown_code' } });
    }
    const right = await newCode();
    expect(await post('/siths-eid-appen/api/registrera', enrolRequest(right), address)).toMatchObject({
      status: 429,
      data: { code: 'too_many_attempts' },
    });
    expect(await post('/siths-eid-appen/api/registrera', enrolRequest(right), '10.0.0.10')).toMatchObject({
      status: 200,
    });
  });
});

describe('POST /siths-eid-appen/api/utmaning', () => {
  it('gives an enrolled computer a challenge, tells a revoked one so, and knows no other', async () => {
    const enrolled = await post('/siths-eid-appen/api/registrera', enrolRequest(await newCode()));
    const agentId = (enrolled.data as { agentId: string }).agentId;
    const challenge = await post('/siths-eid-appen/api/utmaning', { agentId });
    expect(challenge).toMatchObject({ status: 200, data: { ok: true, challenge: expect.any(String) } });

    expect(await post('/siths-eid-appen/api/utmaning', { agentId: crypto.randomUUID() })).toMatchObject({
      status: 404,
      data: { code: 'unknown_agent' },
    });
    expect(await post('/siths-eid-appen/api/utmaning', { agentId: 'not-an-id' })).toMatchObject({
      status: 404,
    });
    const tokenAgent = first(
      await harness.db.select().from(agents).where(isNull(agents.publicKey)).limit(1),
    )!;
    expect(await post('/siths-eid-appen/api/utmaning', { agentId: tokenAgent.id })).toMatchObject({
      status: 404,
    });

    await revokeAgent(harness.db, { agentId, byUserId: adminUserId, now: new Date() });
    expect(await post('/siths-eid-appen/api/utmaning', { agentId })).toMatchObject({
      status: 403,
      data: { code: 'revoked', message: 'Datorn är spärrad i siths-desk. Kontakta IT-support.' },
    });
  });
});
