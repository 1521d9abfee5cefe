import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { first } from '../../db/engine';
import { jobs } from '../../db/schema';
import type { CardExchangeAnswer } from '../../protocol/card-exchange';
import type { JobAck } from '../../protocol/support-events';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Found by the fuzz of issue 11: an agent's answer to an offer was read unchecked (a `null` answer threw in
 * the engine and support's command was acked `internal`), and a card exchange for a job the connection does
 * not run was answered `internal`, as if the server had failed. Both are the agent's fault, and say so.
 */
const token = 'agent-answers-token-00000001';
const readerName = 'Virtual PCD 00 00';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

async function agentAnsweringOffersWith(answer: unknown) {
  return (await sockets.openAgent(token, answer)).socket;
}

async function startCardCheck(): Promise<JobAck> {
  const { cookieHeader } = await addStaffSession(testServer, 'support');
  const support = await sockets.open('/support', {}, cookieHeader);
  const { agentSessionId } = testServer.server.services.agentRegistry.list().at(-1)!;
  return support
    .timeout(5_000)
    .emitWithAck('support:start-card-check', { agentSessionId, readerName }) as Promise<JobAck>;
}

describe('an agent answering outside the protocol', () => {
  it.each([
    ['null', null],
    ['a string', 'ja'],
    ['a refusal without its error', { accepted: false }],
    ['an object of another shape', { accepted: 'yes', jobId: 1 }],
  ])(
    'answering an offer with %s fails the job with agent_protocol_error, never internal',
    async (_, answer) => {
      await agentAnsweringOffersWith(answer);
      const ack = await startCardCheck();
      expect(ack).toMatchObject({ ok: false });
      expect(JSON.stringify(ack)).not.toContain('internal');
      const job = first(await testServer.db.select().from(jobs).limit(1))!;
      expect(job).toMatchObject({ state: 'failed', errorCode: 'agent_protocol_error' });
    },
  );

  it('a valid acceptance still starts the job', async () => {
    await agentAnsweringOffersWith({ accepted: true });
    expect(await startCardCheck()).toMatchObject({ ok: true });
    const job = first(await testServer.db.select().from(jobs).limit(1))!;
    expect(job.state).toBe('running');
  });
});

describe('card exchanges for a job the connection does not run', () => {
  it('are refused as job_not_active, for an unknown job and for an ended one', async () => {
    const agent = await agentAnsweringOffersWith({ accepted: true });
    const exchange = (jobId: string) =>
      agent.timeout(2_000).emitWithAck('job:exchange', {
        type: 'prove_card',
        jobId,
        certificate: Buffer.from('not a certificate').toString('base64'),
        signature: Buffer.from('not a signature').toString('base64'),
      }) as Promise<CardExchangeAnswer>;
    expect(await exchange('4d6f1c1e-0d8a-4a53-9a4e-1b1f5e2d3c4b')).toMatchObject({
      ok: false,
      code: 'job_not_active',
    });
    const started = await startCardCheck();
    expect(started.ok).toBe(true);
    const { id } = first(await testServer.db.select().from(jobs).limit(1))!;
    await testServer.server.services.jobs.cancel(id);
    expect(first(await testServer.db.select().from(jobs).where(eq(jobs.id, id)).limit(1))!.state).toBe(
      'cancelled',
    );
    expect(await exchange(id)).toMatchObject({ ok: false, code: 'job_not_active' });
  });
});
