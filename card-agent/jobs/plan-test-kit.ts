/** A job runner on fake readers with a fake server behind its card exchanges, for the plans' unit tests. */
import {
  constants,
  createHash,
  createPublicKey,
  randomBytes,
  randomUUID,
  verify,
  X509Certificate,
} from 'node:crypto';
import { pino } from 'pino';
import {
  type CardExchange,
  type CardExchangeType,
  type CardKeyRole,
  cardKeyRoles,
  signedChallenge,
} from '../../protocol/card-exchange';
import type { JobErrorCode, JobOffer } from '../../protocol/jobs';
import type { AcceptedExchange } from '../server-link';
import { AgentViewModel } from '../ui/agent-view';
import { issueTestCertificate } from '../virtual-card/test-certificates';
import { type FakeCard, FakeReaders } from './fake-readers';
import { JobFailure } from './job-errors';
import type { JobReport } from './job-execution';
import { JobRunner } from './job-runner';
import { type PinPrompt, PinPrompts } from './pin-prompts';

export const READER = 'Virtual PCD 00 00';

/**
 * The server's side of the card exchanges: checks every signature against the certificate and the
 * job's challenge, hands out the card's PUK or management key, issues and confirms certificates.
 */
export class FakeCardServer {
  readonly requests: CardExchange[] = [];
  /** Requests refused with a code, as the real server would (no_eid_order, reserve_card_not_activated...). */
  readonly refusals: Partial<Record<CardExchangeType, { code: JobErrorCode; message: string }>> = {};
  /** Runs before a request is answered: a test pulls the card here, say. */
  beforeAnswer: (request: CardExchange) => void | Promise<void> = () => {};
  /** What the server hands out; tests can make it wrong. */
  secrets: { puk?: string; managementKey?: { algorithm: 'AES128' | '3DES'; key: string } } = {};
  issued: Partial<Record<CardKeyRole, Buffer>> = {};
  /** Issue each certificate for the key of this other role instead (a broken CA). */
  swapKeys = false;
  private readonly challenges = new Map<string, string>();
  private readonly statements = new Map<string, string>();

  offer(overrides: Partial<JobOffer> = {}): JobOffer {
    const offer: JobOffer = {
      jobId: randomUUID(),
      kind: 'card_check',
      lastSequence: 0,
      stepTimeoutMs: 5_000,
      userPromptTimeoutMs: 10_000,
      challenge: randomBytes(32).toString('base64url'),
      relyingParty: 'https://minasidor.test.siths.se:443/oidc',
      ...overrides,
    };
    if (offer.challenge) this.challenges.set(offer.jobId, offer.challenge);
    if (offer.statement) this.statements.set(offer.jobId, offer.statement);
    return offer;
  }

  exchange = async (request: CardExchange): Promise<AcceptedExchange> => {
    this.requests.push(request);
    await this.beforeAnswer(request);
    const refusal = this.refusals[request.type];
    if (refusal) throw new JobFailure(refusal.code, refusal.message);
    if ('signature' in request && !this.signatureValid(request))
      throw new JobFailure('card_not_authentic', 'the signature does not verify');
    switch (request.type) {
      case 'prove_card':
        return { ok: true, ...this.secrets };
      case 'request_certificates':
        return { ok: true, certificates: await this.issue(request.keys) };
      case 'confirm_certificates': {
        const expected = (role: CardKeyRole) => createHash('sha256').update(this.issued[role]!).digest('hex');
        if (cardKeyRoles.some((role) => request.fingerprints[role] !== expected(role)))
          throw new JobFailure('certificate_rejected', 'the fingerprints differ');
        return { ok: true };
      }
      default:
        return { ok: true };
    }
  };

  /** Which slot's certificate signed a request, by the certificate it carried. */
  signedWith(type: CardExchangeType): Buffer | undefined {
    const request = this.requests.find((candidate) => candidate.type === type);
    return request && 'certificate' in request ? Buffer.from(request.certificate, 'base64') : undefined;
  }

  private signatureValid(request: Extract<CardExchange, { signature: string }>): boolean {
    const publicKey = new X509Certificate(Buffer.from(request.certificate, 'base64')).publicKey;
    const signature = Buffer.from(request.signature, 'base64');
    if (request.type === 'sign_statement') {
      // The statement's own bytes; RSA PKCS#1 v1.5, or ECDSA as r || s (see card-exchange.ts).
      const statement = this.statements.get(request.jobId);
      const key =
        publicKey.asymmetricKeyType === 'rsa'
          ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
          : { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
      return !!statement && verify('sha256', Buffer.from(statement, 'utf8'), key, signature);
    }
    const challenge = this.challenges.get(request.jobId);
    if (!challenge) return false;
    const bytes = signedChallenge(request.type, request.jobId, challenge);
    return verify('sha256', bytes, publicKey, signature);
  }

  private async issue(keys: Record<CardKeyRole, string>): Promise<Record<CardKeyRole, string>> {
    const result: Partial<Record<CardKeyRole, string>> = {};
    for (const [index, role] of cardKeyRoles.entries()) {
      const keyRole = this.swapKeys ? cardKeyRoles[(index + 1) % cardKeyRoles.length]! : role;
      const publicKey = createPublicKey({
        key: Buffer.from(keys[keyRole], 'base64'),
        format: 'der',
        type: 'spki',
      });
      this.issued[role] = await issueTestCertificate(publicKey, role);
      result[role] = this.issued[role].toString('base64');
    }
    return result as Record<CardKeyRole, string>;
  }
}

/** A runner with everything it talks to in memory; `logs` holds every log line at trace level. */
export function startJobKit(card: FakeCard) {
  const readers = new FakeReaders();
  readers.addReader(READER, card);
  const server = new FakeCardServer();
  const prompts = new PinPrompts();
  const reports: JobReport[] = [];
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  const runner = new JobRunner({
    cards: readers,
    prompts,
    exchange: server.exchange,
    send: (report) => reports.push(report),
    undelivered: () => 0,
    logger,
  });
  const view = new AgentViewModel(runner, prompts);

  const ofJob = (jobId: string) => reports.filter((report) => report.payload.jobId === jobId);

  return {
    readers,
    server,
    prompts,
    runner,
    view,
    reports,
    logs,
    /** "step:status" of every report of the job, and "finished:state" last. */
    trail: (jobId: string) =>
      ofJob(jobId).map(({ event, payload }) =>
        event === 'job:step' ? `${payload.step}:${payload.status}` : `finished:${payload.state}`,
      ),
    steps: (jobId: string) => ofJob(jobId).flatMap((r) => (r.event === 'job:step' ? [r.payload] : [])),
    async nextPrompt(previous?: string): Promise<PinPrompt> {
      return until(() => {
        const prompt = prompts.current();
        return prompt && prompt.promptId !== previous ? prompt : undefined;
      }, 'a prompt');
    },
    async outcome(jobId: string) {
      const finished = await until(
        () => ofJob(jobId).find((report) => report.event === 'job:finished'),
        'the job to finish',
      );
      return finished.payload;
    },
  };
}

export type JobKit = ReturnType<typeof startJobKit>;

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every step of a kind in order, each started and succeeded, then the job succeeded. */
export function happyTrail(steps: readonly string[]): string[] {
  return [...steps.flatMap((step) => [`${step}:started`, `${step}:succeeded`]), 'finished:succeeded'];
}
