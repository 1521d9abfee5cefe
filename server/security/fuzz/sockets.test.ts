import { sql } from 'drizzle-orm';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashDeviceToken } from '../../../db/agents';
import { queryRows } from '../../../db/engine';
import { type FuzzServer, startFuzzServer } from './fuzz-server';
import { hostileString, hostileValue, type RealValues } from './hostile';
import { encodeSegment } from './http-cases';
import { checkDatabase } from './invariants';
import { fuzzCases, fuzzSeed, Random } from './random';
import { type FuzzFinding, summarise } from './report';
import { type OwnJob, type SocketCase, socketCase } from './socket-cases';

/**
 * Every event of /agent and /support, from connected agents and support viewers: a few thousand seeded
 * hostile and near-valid messages (other agents' jobs, other units' cards). No message may be answered
 * `internal` or log an error, the server stays up, no row breaks the project's rules, and no agent's word
 * changes a card or an eID: only a serial the server assigned or the card proved may do that.
 * Replay: FUZZ_SEED=<seed> FUZZ_CASES=<n> npx vitest run server/security/fuzz/sockets.test.ts
 */
const seed = fuzzSeed();
const caseCount = fuzzCases(2_000);
const supportUsers = ['support', 'admin'] as const;
/** A message writes at most this many audit rows (a support command and the job it starts), whatever it carries. */
const maxAuditRowsPerMessage = 3;
const readers = [
  { name: 'Virtual PCD 00 00', cardPresent: true, atr: '3bf81300008131fe15' },
  { name: 'Virtual PCD 00 01', cardPresent: false },
];

let fuzz: FuzzServer;
beforeAll(async () => {
  fuzz = await startFuzzServer();
}, 120_000);
afterAll(async () => {
  await fuzz?.stop();
});

let lastConnectError = '';
/** Whether the server accepted the connection: a refusal is an error, or the server closing a malformed handshake. */
const connected = (socket: Socket) =>
  new Promise<boolean>((resolve) => {
    const settle = (accepted: boolean, reason = '') => {
      clearTimeout(timer);
      if (!accepted) lastConnectError = reason;
      resolve(accepted);
    };
    const timer = setTimeout(() => settle(false, 'no answer'), 10_000);
    socket.once('connect', () => settle(true));
    socket.once('connect_error', (error) => settle(false, error.message));
    socket.io.once('close', (reason) => settle(false, `closed: ${reason}`));
  });

/** One live connection per agent token and per support viewer, reconnected when the server drops one. */
class Connections {
  private readonly agents = new Map<number, Socket>();
  private readonly viewers = new Map<string, Socket>();
  private readonly cookies = new Map<string, string>();
  reconnects = 0;

  constructor(
    private readonly fuzz: FuzzServer,
    /** Decides how an agent answers an offer: accept, refuse, or garbage. */
    private readonly offers: Random,
    private readonly real: () => RealValues,
  ) {}

  async agent(index: number): Promise<Socket> {
    const existing = this.agents.get(index);
    if (existing?.connected) return existing;
    existing?.close();
    if (existing) this.reconnects++;
    const socket = io(`${this.fuzz.url}/agent`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: this.fuzz.agentTokens[index] },
    });
    socket.on('job:offer', (_offer: unknown, answer: unknown) => {
      if (typeof answer !== 'function') return;
      answer(
        this.offers.weighted<unknown>([
          [6, { accepted: true }],
          [2, { accepted: false, error: { code: 'agent_busy', message: 'Upptagen' } }],
          [2, hostileValue(this.offers, this.real())],
        ]),
      );
    });
    this.agents.set(index, socket);
    if (!(await connected(socket))) throw new Error(`agent ${index} could not connect: ${lastConnectError}`);
    // A connection the server drops before it answers is made again by the next case that needs it.
    await socket
      .timeout(10_000)
      .emitWithAck('agent:hello', { agentVersion: '0.1.0', readers, activeJobIds: [] })
      .catch(() => undefined);
    return socket;
  }

  async viewer(username: string): Promise<Socket> {
    const existing = this.viewers.get(username);
    if (existing?.connected) return existing;
    existing?.close();
    if (existing) this.reconnects++;
    const socket = io(`${this.fuzz.url}/support`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { cookie: await this.cookie(username) },
    });
    this.viewers.set(username, socket);
    if (!(await connected(socket)))
      throw new Error(`support viewer ${username} could not connect: ${lastConnectError}`);
    return socket;
  }

  /**
   * Logs a support viewer out while its socket is open, as another tab would, and reports whether the
   * socket still got an answer other than a refusal afterwards (finding 2: a socket must not outlive it).
   */
  async logOut(username: string): Promise<'answered' | 'refused' | 'not connected'> {
    const socket = await this.viewer(username);
    const cookie = this.cookies.get(username);
    if (!socket.connected || !cookie) return 'not connected';
    const session = await this.fuzz.server.services.sessions.validateCookieHeader(cookie);
    if (session) await this.fuzz.server.services.sessions.invalidate(session.sessionId);
    this.cookies.delete(username);
    const jobId = await realJobId(this.fuzz);
    const answer = await new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1_000);
      socket.once('disconnect', () => resolve(undefined));
      socket.emit('support:watch-job', { jobId }, (ack: unknown) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    return answer !== undefined && (answer as { ok?: boolean }).ok !== false ? 'answered' : 'refused';
  }

  async cookie(username: string): Promise<string> {
    const known = this.cookies.get(username);
    if (known) return known;
    const [user] = await queryRows<{ id: string }>(
      this.fuzz.db,
      sql`select id from users where username = ${username}`,
    );
    if (!user) throw new Error(`no user ${username}`);
    const { cookie } = await this.fuzz.server.services.sessions.create({
      userId: user.id,
      loginMethod: 'password',
    });
    const header = cookie.split(';')[0]!;
    this.cookies.set(username, header);
    return header;
  }

  close(): void {
    for (const socket of [...this.agents.values(), ...this.viewers.values()]) socket.close();
  }
}

/** A connection attempt the server must refuse: a bad device token, no session, a session without the role. */
async function refusedConnection(
  fuzz: FuzzServer,
  random: Random,
  real: RealValues,
  connections: Connections,
) {
  const toAgent = random.chance(0.5);
  const socket = toAgent
    ? io(`${fuzz.url}/agent`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: random.chance(0.7)
          ? { token: hostileString(random, real) }
          : (hostileValue(random, real) as object),
      })
    : io(`${fuzz.url}/support`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        extraHeaders: {
          cookie: random.chance(0.5)
            ? await connections.cookie(random.pick(['chef', 'kontakt', 'idadmin1']))
            : `siths_session=${encodeSegment(hostileString(random, real))}`,
        },
      });
  const accepted = await connected(socket);
  socket.close();
  return accepted;
}

async function runningJobsOf(fuzz: FuzzServer, agent: number): Promise<OwnJob[]> {
  return queryRows<OwnJob>(
    fuzz.db,
    sql`select jobs.id as "jobId", jobs.last_sequence + 1 as "nextSequence" from jobs
      join agents on agents.id = jobs.agent_id
      where agents.device_token_hash = ${hashDeviceToken(fuzz.agentTokens[agent]!)}
        and jobs.state in ('queued', 'running')
      order by jobs.created_at`,
  );
}

async function realJobId(fuzz: FuzzServer): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    fuzz.db,
    sql`select id from jobs order by created_at limit 1`,
  );
  return row?.id ?? '00000000-0000-4000-8000-000000000000';
}

async function lastAuditId(fuzz: FuzzServer): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    fuzz.db,
    sql`select coalesce(max(id), 0) as id from audit_events`,
  );
  return Number(row?.id ?? 0);
}

async function snapshot(fuzz: FuzzServer): Promise<string> {
  return JSON.stringify([
    await queryRows(fuzz.db, sql`select id, state, holder_person_id from cards order by id`),
    await queryRows(fuzz.db, sql`select id, state from eids order by id`),
    await queryRows(fuzz.db, sql`select id, state, card_id from orders order by id`),
  ]);
}

async function send(socket: Socket, testCase: SocketCase): Promise<{ ack?: unknown; timedOut?: boolean }> {
  if (!testCase.withAck) {
    socket.emit(testCase.event, ...testCase.args);
    // A message without an ack is still handled: give the server a moment before the next case's checks.
    await new Promise((resolve) => setTimeout(resolve, 2));
    return {};
  }
  // The server answers its own events at once; to a stray event or a misplaced ack it never answers.
  const expectsAnswer = testCase.shape !== 'stray-event' && testCase.shape !== 'many-args';
  return new Promise((resolve) => {
    const done = (result: { ack?: unknown; timedOut?: boolean }) => {
      clearTimeout(timer);
      socket.off('disconnect', dropped);
      resolve(result);
    };
    const dropped = () => done({ timedOut: true });
    const timer = setTimeout(dropped, expectsAnswer ? 5_000 : 50);
    socket.once('disconnect', dropped);
    socket.emit(testCase.event, ...testCase.args, (ack: unknown) => done({ ack }));
  });
}

describe('fuzz: socket events of /agent and /support', () => {
  it(`answers ${caseCount} hostile messages without an internal error, and no agent changes a card (seed ${seed})`, async () => {
    let real = await fuzz.realValues();
    const connections = new Connections(fuzz, new Random(seed ^ 0x5eed), () => real);
    const cardsBefore = await snapshot(fuzz);
    const findings: FuzzFinding[] = [];
    const outcomes = new Map<string, number>();
    const timings = new Map<string, number>();
    let caseStarted = 0;
    const count = (key: string) => {
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      timings.set(key, (timings.get(key) ?? 0) + performance.now() - caseStarted);
    };
    const started = Date.now();
    let maxAudit = 0;

    for (let index = 0; index < caseCount; index++) {
      if (index % 50 === 0) {
        // Running jobs on every agent, so near-valid messages name real jobs of other connections.
        for (let agent = 0; agent < fuzz.agentTokens.length; agent++) await connections.agent(agent);
        real = await fuzz.realValues();
        const viewer = await connections.viewer('support');
        for (const agentSessionId of fuzz.server.services.agentRegistry
          .list()
          .map((view) => view.agentSessionId)) {
          await viewer
            .timeout(10_000)
            .emitWithAck('support:start-card-check', { agentSessionId, readerName: readers[0]!.name })
            .catch(() => undefined);
        }
        real = await fuzz.realValues();
      }
      const random = Random.forCase(seed, index);
      caseStarted = performance.now();
      const errorsBefore = fuzz.errors.length;
      const auditBefore = await lastAuditId(fuzz);
      const problems: string[] = [];
      let where: string;
      let detail: string;
      if (index % 300 === 150) {
        where = '/support after logout';
        detail = `support:watch-job from ${supportUsers[1]} after its session ended`;
        const afterLogout = await connections.logOut(supportUsers[1]);
        if (afterLogout === 'answered') problems.push('answered after logout');
        count(`logout, then ${afterLogout}`);
      } else if (random.chance(0.04)) {
        where = 'connect';
        detail = 'refused connection';
        if (await refusedConnection(fuzz, random, real, connections)) problems.push('connection accepted');
        count('connect');
      } else {
        const running: OwnJob[][] = [];
        for (let agent = 0; agent < fuzz.agentTokens.length; agent++)
          running.push(await runningJobsOf(fuzz, agent));
        const testCase = socketCase(
          index,
          random,
          real,
          fuzz.agentTokens.length,
          supportUsers,
          (agent) => running[agent] ?? [],
        );
        const socket =
          typeof testCase.sender === 'number'
            ? await connections.agent(testCase.sender)
            : await connections.viewer(testCase.sender);
        const result = await send(socket, testCase);
        where = `${testCase.namespace} ${testCase.event}`;
        detail = `${testCase.shape}${testCase.withAck ? ' with ack' : ''} from ${testCase.sender}`;
        const ack = result.ack as { ok?: boolean; code?: string } | undefined;
        count(
          result.timedOut
            ? `no answer ${testCase.shape}`
            : ack
              ? ack.ok === false
                ? `refused:${ack.code ?? 'none'}`
                : 'ok'
              : 'sent',
        );
        if (ack?.code === 'internal') problems.push('ack internal');
        const ownEvent = testCase.shape !== 'stray-event' && testCase.shape !== 'many-args';
        if (result.timedOut && ownEvent && socket.connected) problems.push('no answer');
      }
      const logged = fuzz.errors.slice(errorsBefore);
      const auditAdded = (await lastAuditId(fuzz)) - auditBefore;
      maxAudit = Math.max(maxAudit, auditAdded);
      if (auditAdded > maxAuditRowsPerMessage) problems.push(`${auditAdded} audit rows`);
      if (logged.length > 0) problems.push('error logged');
      if (problems.length > 0) {
        findings.push({
          index,
          seed,
          problems,
          where,
          route: where,
          detail,
          excerpt: '',
          errors: logged.map((entry) => ({
            msg: entry.msg,
            ...(entry.err?.message ? { message: entry.err.message } : {}),
            ...(entry.err?.stack ? { stack: entry.err.stack.split('\n').slice(0, 6).join('\n') } : {}),
          })),
        });
      }
    }

    connections.close();
    const health = await fetch(`${fuzz.url}/healthz`);
    const database = await checkDatabase(fuzz.db);
    const cardsAfter = await snapshot(fuzz);
    console.info(
      summarise('sockets', {
        seed,
        cases: caseCount,
        seconds: (Date.now() - started) / 1000,
        statuses: outcomes,
        findings,
        database,
        bounds: { reconnects: connections.reconnects, maxAudit },
      }),
    );
    if (process.env.FUZZ_VERBOSE) {
      console.info([...timings].map(([key, ms]) => `${Math.round(ms)} ms ${key}`).join('\n'));
      const jobs = await queryRows(
        fuzz.db,
        sql`select kind, state, error_code, count(reported_card_serial) as reported, count(*) as n from jobs group by 1, 2, 3`,
      );
      console.info(jobs.map((row) => JSON.stringify(row)).join('\n'));
    }
    expect(health.status).toBe(200);
    expect(database.integrity).toEqual(['ok']);
    expect(database.foreignKeyViolations).toEqual([]);
    expect(database.invalidRows.slice(0, 20)).toEqual([]);
    expect(cardsAfter === cardsBefore, 'cards, eIDs and orders are as before').toBe(true);
    expect(
      findings
        .slice(0, 30)
        .map(
          (finding) =>
            `#${finding.index} ${finding.problems.join(', ')}: ${finding.where} (${finding.detail})`,
        ),
    ).toEqual([]);
  }, 600_000);
});
