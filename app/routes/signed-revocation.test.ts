import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppLoadContext } from '@remix-run/node';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute } from '~/testing/route-harness';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { revokeEid } from '../../db/revocations';
import { auditEvents, cards, eids, signedDecisions, users } from '../../db/schema';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  phoneSignsStatement,
  type TestEndUser,
  TestPhone,
} from '../../server/mobile-siths/testing';
import * as decisionFiles from './admin.beslut.$file';
import * as revocation from './admin.personer_.$personId_.sparra';

type Handler = Parameters<typeof callRoute>[0];
const run = promisify(execFile);

let fixture: MobileSithsFixture;
let db: AppDatabase;
let context: AppLoadContext;
let idadmin: TestEndUser;
let idadminPhone: TestPhone;
let olofPhone: TestPhone;

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  ({ db, context } = fixture);
  idadmin = await fixture.cardLogin('idadmin1');
  idadminPhone = new TestPhone('iPhone 15');
  await fixture.enrol(idadmin, idadminPhone);
  olofPhone = new TestPhone('Samsung Galaxy S23');
  await fixture.enrol(fixture.olof, olofPhone);
});
afterAll(async () => {
  await db.close();
});

/** An active card of a person other than the deciders, to revoke. */
async function cardToRevoke(username: string) {
  const personId = first(await db.select().from(users).where(eq(users.username, username)).limit(1))!
    .personId!;
  const card = first(
    await db
      .select()
      .from(cards)
      .where(and(eq(cards.holderPersonId, personId), eq(cards.state, 'active')))
      .limit(1),
  );
  if (!card) throw new Error(`no active card of ${username}`);
  return { personId, card };
}

function post(path: string, cookie: string, form: Record<string, string>) {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

const phoneSigns = (orderId: string, phone: TestPhone, signer: { personId: string }, text?: string) =>
  phoneSignsStatement(db, { orderId, phone, signerPersonId: signer.personId, ...(text ? { text } : {}) });

async function startSigning(path: string, reason = 'lost', cookie = idadmin.cookie) {
  const outcome = await callRoute(
    revocation.action as Handler,
    post(path, cookie, { intent: 'sign', method: 'mobile_siths', reason }),
    context,
    { personId: path.split('/')[3]! },
  );
  expect(outcome.status).toBe(200);
  return (outcome.data as { signing: { orderId: string; statement: string } }).signing;
}

const confirm = (path: string, orderId: string, reason = 'lost', cookie = idadmin.cookie) =>
  callRoute(
    revocation.action as Handler,
    post(path, cookie, { intent: 'confirm', orderId, reason }),
    context,
    { personId: path.split('/')[3]! },
  );

const cardState = async (cardId: string) =>
  first(await db.select().from(cards).where(eq(cards.id, cardId)).limit(1))!.state;

const refusedSignings = async () =>
  (
    await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'decision_sign'), eq(auditEvents.outcome, 'refused')))
  ).length;

describe('a revocation signed by the ID-administrator', () => {
  it('revokes only with a valid signature of the statement, and keeps statement, signature and certificate with the audit event', async () => {
    const { personId, card } = await cardToRevoke('olof');
    const path = `/admin/personer/${personId}/sparra?kort=${card.id}`;
    const signing = await startSigning(path);
    expect(signing.statement).toMatch(
      new RegExp(
        `^Jag, Lars Eriksson \\S+, spärrar SITHS-kort ${card.serial} hos Olof \\S+ \\S+ den \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d, orsak: .+\\.\\nReferens: ${signing.orderId}$`,
      ),
    );

    const unsigned = await confirm(path, signing.orderId);
    expect(unsigned).toMatchObject({ status: 409, data: { errors: { form: 'decision.error.not_signed' } } });
    expect(await cardState(card.id)).toBe('active');

    await phoneSigns(signing.orderId, idadminPhone, idadmin);
    const holderSession = await context.sessions.create({
      userId: fixture.olof.userId,
      loginMethod: 'card',
      loginCredential: card.serial,
    });
    const done = await confirm(path, signing.orderId);
    expect(done).toMatchObject({ status: 302, location: `/admin/personer/${personId}?sparrat=kort` });
    expect(await cardState(card.id)).toBe('revoked');
    expect(await context.sessions.isActive(holderSession.sessionId)).toBe(false);

    const decision = first(
      await db.select().from(signedDecisions).where(eq(signedDecisions.objectId, card.id)).limit(1),
    )!;
    expect(decision).toMatchObject({
      kind: 'revocation',
      method: 'mobile_siths',
      statement: signing.statement,
    });
    const audit = first(
      await db.select().from(auditEvents).where(eq(auditEvents.id, decision.auditEventId!)).limit(1),
    )!;
    expect(audit).toMatchObject({ action: 'decision_signed', objectId: card.id });
    expect(audit.detail).toMatchObject({ statement: signing.statement, signature: decision.signature });

    const again = await confirm(path, signing.orderId);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('offers the signed statement for download, and openssl verifies it against the exported CA chain', async () => {
    const decision = first(await db.select().from(signedDecisions).limit(1))!;
    const download = async (file: string, cookie = idadmin.cookie) =>
      (await decisionFiles.loader({
        request: new Request(`http://localhost/admin/beslut/${file}`, { headers: { Cookie: cookie } }),
        context,
        params: { file },
      })) as Response;
    const folder = await mkdtemp(join(tmpdir(), 'siths-desk-signed-'));
    try {
      const files = { cms: `${decision.id}.p7s`, text: `${decision.id}.txt`, chain: 'ca-kedja.pem' };
      for (const name of Object.values(files)) {
        const response = await download(name);
        expect(response.status).toBe(200);
        await writeFile(join(folder, name), Buffer.from(await response.arrayBuffer()));
      }
      expect(await readFile(join(folder, files.text), 'utf8')).toBe(decision.statement);
      const verify = () =>
        run('openssl', [
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          join(folder, files.cms),
          '-content',
          join(folder, files.text),
          '-CAfile',
          join(folder, files.chain),
          '-purpose',
          'any',
          '-out',
          join(folder, 'ut.txt'),
        ]);
      await verify();
      expect(await readFile(join(folder, 'ut.txt'), 'utf8')).toBe(decision.statement);
      await writeFile(join(folder, files.text), decision.statement.replace('spärrar', 'spärrade'));
      await expect(verify()).rejects.toThrow();

      const chef = await fixture.cardLogin('chef');
      expect(
        (
          await callRoute(
            decisionFiles.loader as Handler,
            new Request(`http://localhost/admin/beslut/${files.cms}`, { headers: { Cookie: chef.cookie } }),
            context,
            { file: files.cms },
          )
        ).status,
      ).toBe(403);
      expect((await download(`${crypto.randomUUID()}.p7s`)).status).toBe(404);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses a signature of another decision (the reason changed after signing) and revokes nothing', async () => {
    const { personId, card } = await cardToRevoke('carina');
    const path = `/admin/personer/${personId}/sparra?kort=${card.id}`;
    const signing = await startSigning(path, 'lost');
    await phoneSigns(signing.orderId, idadminPhone, idadmin);
    const before = await refusedSignings();
    const outcome = await confirm(path, signing.orderId, 'stolen');
    expect(outcome).toMatchObject({
      status: 409,
      data: { errors: { form: 'decision.error.other_decision' } },
    });
    expect(await cardState(card.id)).toBe('active');
    expect(await refusedSignings()).toBe(before + 1);
  });

  it("refuses a statement altered between page and phone, a foreign key, and another person's certificate, with 403", async () => {
    const { personId, card } = await cardToRevoke('carina');
    const path = `/admin/personer/${personId}/sparra?kort=${card.id}`;

    const altered = await startSigning(path);
    await phoneSigns(
      altered.orderId,
      idadminPhone,
      idadmin,
      altered.statement.replace('spärrar', 'spärrar inte'),
    );
    expect(await confirm(path, altered.orderId)).toMatchObject({
      status: 403,
      data: { errors: { form: 'decision.error.signature_invalid' } },
    });

    const foreign = await startSigning(path);
    const stranger = new TestPhone();
    stranger.deviceId = idadminPhone.deviceId;
    await phoneSigns(foreign.orderId, stranger, idadmin);
    expect((await confirm(path, foreign.orderId)).status).toBe(403);

    const otherPerson = await startSigning(path);
    await phoneSigns(otherPerson.orderId, olofPhone, idadmin);
    expect((await confirm(path, otherPerson.orderId)).status).toBe(403);
    expect(await cardState(card.id)).toBe('active');
  });

  it("refuses the signature once the decider's eID is revoked", async () => {
    const { personId, card } = await cardToRevoke('carina');
    const path = `/admin/personer/${personId}/sparra?kort=${card.id}`;
    const signing = await startSigning(path);
    await phoneSigns(signing.orderId, idadminPhone, idadmin);
    const phoneEid = first(
      await db.select().from(eids).where(eq(eids.mobileDeviceId, idadminPhone.deviceId)).limit(1),
    )!;
    await revokeEid(db, {
      eidId: phoneEid.id,
      reason: 'lost',
      actor: { userId: idadmin.userId, label: 'idadmin1' },
    });
    expect((await confirm(path, signing.orderId)).status).toBe(403);
    expect(await cardState(card.id)).toBe('active');
  });

  it("refuses another session's signing order with 404", async () => {
    const { personId, card } = await cardToRevoke('carina');
    const path = `/admin/personer/${personId}/sparra?kort=${card.id}`;
    const signing = await startSigning(path);
    const other = await fixture.cardLogin('idadmin1');
    expect((await confirm(path, signing.orderId, 'lost', other.cookie)).status).toBe(404);
  });
});
