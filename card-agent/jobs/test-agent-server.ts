/**
 * A tiny server side of the agent contract, for the agent's tests: stores each (jobId, sequence) once, in
 * order, and answers card exchanges with real crypto (signatures checked, secrets derived, certificates issued).
 */
import { createHash, createHmac, createPublicKey, randomBytes, verify, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  type AgentHello,
  type AgentToServerEvents,
  agentNamespace,
  type ReaderEvent,
  type SequenceAck,
  type ServerToAgentEvents,
  type SupportCodeAnswer,
  type SupportPairingNotice,
} from '../../protocol/agent-events';
import {
  type AutoStart,
  type AutoStartAck,
  type CardExchange,
  type CardExchangeAnswer,
  type CardKeyRole,
  cardKeyRoles,
  signedChallenge,
} from '../../protocol/card-exchange';
import type { JobErrorCode, JobOffer, JobOfferAnswer, JobOutcome, StepReport } from '../../protocol/jobs';
import { issueTestCertificate } from '../virtual-card/test-certificates';

export type Stored = ({ event: 'job:step' } & StepReport) | ({ event: 'job:finished' } & JobOutcome);
/** 'no-ack': not stored, not acknowledged; 'lose-ack': stored, but the ack never arrives. */
type Answer = SequenceAck | 'no-ack' | 'lose-ack' | undefined;

export const TEST_TOKEN = 'test-device-token-0123456789';

/**
 * A card's PUK and AES-128 management key from a master key and its serial: the derivation of
 * server/secrets/card-secrets.ts, repeated here because the agent's code may not import the server's.
 */
export function deriveTestCardSecrets(masterKey: Buffer, cardSerial: string) {
  const derive = (purpose: string) =>
    createHmac('sha256', masterKey).update(`siths-desk/${purpose}/v1/${cardSerial}`).digest();
  const puk = (derive('puk').readBigUInt64BE(0) % 100_000_000n).toString().padStart(8, '0');
  const managementKey = derive('management-key').subarray(0, 16);
  return { puk, managementKey: { algorithm: 'AES128' as const, key: managementKey } };
}

type Refusal = Extract<CardExchangeAnswer, { ok: false }>;
const refuse = (code: JobErrorCode, message: string): Refusal => ({ ok: false, code, message });

export class TestAgentServer {
  readonly stored = new Map<string, Stored[]>();
  /** Every report as it arrived, duplicates included. */
  readonly received: Stored[] = [];
  /** A test's say on a report before it is stored: an answer of its own, 'no-ack', or undefined to store it. */
  intercept: (report: Stored) => Answer = () => undefined;
  /** Where a job's reports start, for a job offered with lastSequence > 0. */
  readonly firstSequence = new Map<string, number>();
  /** Every card exchange the agent asked for, in order. */
  readonly exchanges: CardExchange[] = [];
  /** A test's say on an exchange before the real answer: a refusal of its own, or undefined. */
  interceptExchange: (request: CardExchange) => Refusal | undefined | Promise<Refusal | undefined> = () =>
    undefined;
  /** The answer to the browser's start token handed over by the agent. */
  answerAutoStart: (request: AutoStart) => AutoStartAck = () => ({
    ok: false,
    code: 'not_found',
    message: 'no such start',
  });
  /** The answer to "Få hjälp av support"; the real server hands out a fresh code per request. */
  answerSupportCode: () => SupportCodeAnswer = () => ({
    ok: false,
    code: 'forbidden',
    message: 'no support codes here',
  });
  supportCodeRequests = 0;
  /** Every hello and reader event the agent sent, in order. */
  readonly hellos: AgentHello[] = [];
  readonly readerEvents: ReaderEvent[] = [];
  readonly masterKey = randomBytes(32);
  /** Certificates issued per activation job, by role. */
  readonly issued = new Map<string, Record<CardKeyRole, Buffer>>();
  private readonly offers = new Map<string, JobOffer>();
  private agent: Socket<AgentToServerEvents, ServerToAgentEvents> | undefined;
  private connectWaiters: Array<() => void> = [];

  private constructor(
    private readonly io: Server,
    readonly url: string,
  ) {
    const namespace = io.of(agentNamespace);
    namespace.use((socket, next) =>
      next(socket.handshake.auth?.token === TEST_TOKEN ? undefined : new Error('unauthorized')),
    );
    namespace.on('connection', (socket: Socket<AgentToServerEvents, ServerToAgentEvents>) => {
      this.agent = socket;
      socket.on('agent:hello', (hello, ack) => {
        this.hellos.push(hello);
        ack({ ok: true });
      });
      socket.on('agent:reader-event', (event, ack) => {
        this.readerEvents.push(event);
        ack({ ok: true });
      });
      socket.on('agent:support-code', (_request, ack) => {
        this.supportCodeRequests += 1;
        ack(this.answerSupportCode());
      });
      socket.on('job:step', (report, ack) => this.take({ event: 'job:step', ...report }, ack));
      socket.on('job:finished', (outcome, ack) => this.take({ event: 'job:finished', ...outcome }, ack));
      socket.on('job:exchange', (request, ack) => {
        this.exchanges.push(request);
        void this.answerExchange(request).then(ack, () => ack(refuse('internal', 'test server failed')));
      });
      socket.on('agent:autostart', (request, ack) => ack(this.answerAutoStart(request)));
      for (const resolve of this.connectWaiters.splice(0)) resolve();
    });
  }

  static async start(): Promise<TestAgentServer> {
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return new TestAgentServer(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
  }

  get connected(): boolean {
    return this.agent?.connected ?? false;
  }

  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectWaiters.push(resolve));
  }

  async offer(offer: JobOffer | Record<string, unknown>): Promise<JobOfferAnswer> {
    await this.whenConnected();
    if (typeof offer.jobId === 'string') this.offers.set(offer.jobId, offer as JobOffer);
    return this.agent!.timeout(10_000).emitWithAck('job:offer', offer as JobOffer);
  }

  /** Sends anything as any server event, to see the agent refuse it. */
  emitRaw(event: string, ...args: unknown[]): void {
    (this.agent as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
  }

  /** Without a code: as a server from before job:cancel said why. */
  cancel(jobId: string, code?: JobErrorCode): void {
    this.agent?.emit('job:cancel', code ? { jobId, code } : { jobId });
  }

  message(text: string, jobId?: string): void {
    this.agent?.emit('support:message', {
      text,
      from: 'Support',
      at: Date.now(),
      ...(jobId ? { jobId } : {}),
    });
  }

  /** Support paired with the agent session using its code, or the pairing ended. */
  pairing(notice: SupportPairingNotice): void {
    this.agent?.emit('support:pairing', notice);
  }

  /** Drops the connection as a network failure would; the agent reconnects by itself. */
  dropConnection(): void {
    this.agent?.conn.close();
  }

  reports(jobId: string): Stored[] {
    return this.stored.get(jobId) ?? [];
  }

  async waitForOutcome(jobId: string, timeoutMs = 15_000): Promise<Stored> {
    return this.waitFor(jobId, (report) => report.event === 'job:finished', timeoutMs);
  }

  async waitFor(jobId: string, match: (report: Stored) => boolean, timeoutMs = 15_000): Promise<Stored> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports(jobId).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching report for job ${jobId} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The PUK and management key this server derives for a card. */
  cardSecrets(cardSerial: string) {
    return deriveTestCardSecrets(this.masterKey, cardSerial);
  }

  private async answerExchange(request: CardExchange): Promise<CardExchangeAnswer> {
    const intercepted = await this.interceptExchange(request);
    if (intercepted) return intercepted;
    const offer = this.offers.get(request.jobId);
    if (!offer?.challenge) return refuse('internal', 'no such job');
    if ('signature' in request && !signatureValid(request, offer.challenge))
      return refuse('card_not_authentic', 'the signature does not verify');
    // A login or card check proves a card whose PIN is blocked: the server only notes which card it was.
    if (request.type === 'prove_card' && (offer.kind === 'authenticate' || offer.kind === 'card_check'))
      return { ok: true };
    if (!offer.cardSerial) return refuse('internal', 'no such job');
    const secrets = this.cardSecrets(offer.cardSerial);
    switch (request.type) {
      case 'prove_card':
        return offer.kind === 'unlock'
          ? { ok: true, puk: secrets.puk }
          : {
              ok: true,
              managementKey: { algorithm: 'AES128', key: secrets.managementKey.key.toString('hex') },
            };
      case 'request_certificates': {
        const issued = {} as Record<CardKeyRole, Buffer>;
        for (const role of cardKeyRoles) {
          const publicKey = createPublicKey({
            key: Buffer.from(request.keys[role], 'base64'),
            format: 'der',
            type: 'spki',
          });
          issued[role] = await issueTestCertificate(publicKey, `${offer.cardSerial} ${role}`);
        }
        this.issued.set(request.jobId, issued);
        const base64 = (role: CardKeyRole) => issued[role].toString('base64');
        return {
          ok: true,
          certificates: {
            authentication: base64('authentication'),
            signature: base64('signature'),
            cardAuthentication: base64('cardAuthentication'),
          },
        };
      }
      case 'confirm_certificates': {
        const issued = this.issued.get(request.jobId);
        const fingerprint = (der: Buffer) => createHash('sha256').update(der).digest('hex');
        const matches =
          issued && cardKeyRoles.every((role) => request.fingerprints[role] === fingerprint(issued[role]));
        return matches ? { ok: true } : refuse('certificate_rejected', 'the fingerprints differ');
      }
      default:
        return { ok: true };
    }
  }

  close(): Promise<void> {
    return this.io.close();
  }

  private take(report: Stored, ack: (result: SequenceAck) => void): void {
    this.received.push(report);
    const answer = this.intercept(report);
    if (answer === 'no-ack') return;
    if (answer && answer !== 'lose-ack') {
      ack(answer);
      return;
    }
    const result = this.store(report);
    if (answer !== 'lose-ack') ack(result);
  }

  private store(report: Stored): SequenceAck {
    const list = this.stored.get(report.jobId) ?? [];
    this.stored.set(report.jobId, list);
    const last = list.length
      ? list[list.length - 1]!.sequence
      : (this.firstSequence.get(report.jobId) ?? 1) - 1;
    if (report.sequence > last + 1)
      return { ok: false, code: 'conflict', message: 'gap', lastSequence: last };
    if (report.sequence === last + 1) list.push(report);
    return { ok: true, lastSequence: Math.max(last, report.sequence) };
  }
}

function signatureValid(request: Extract<CardExchange, { signature: string }>, challenge: string): boolean {
  try {
    const publicKey = new X509Certificate(Buffer.from(request.certificate, 'base64')).publicKey;
    const bytes = signedChallenge(request.type, request.jobId, challenge);
    return verify('sha256', bytes, publicKey, Buffer.from(request.signature, 'base64'));
  } catch {
    return false;
  }
}
