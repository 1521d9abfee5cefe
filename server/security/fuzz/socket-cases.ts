import { jobErrorCodes, jobStepNames, stepStatuses } from '../../../protocol/jobs';
import { cardSerial, hostileString, hostileValue, type RealValues, realValue } from './hostile';
import type { Random } from './random';

export const agentEvents = [
  'agent:hello',
  'agent:reader-event',
  'job:step',
  'job:finished',
  'job:exchange',
  'agent:autostart',
  'agent:support-code',
] as const;

export const supportEvents = [
  'support:watch-job',
  'support:unwatch-job',
  'support:start-card-check',
  'support:send-message',
  'support:cancel-job',
  'support:retry-job',
] as const;

/** Events the server never takes from this side: the other namespace's, the server's own, and made-up ones. */
const strayEvents = [
  'job:offer',
  'job:cancel',
  'agents:snapshot',
  'hello',
  '__proto__',
  'constructor',
  'x'.repeat(300),
];

/** An unfinished job of the sending agent, and the sequence number the server takes next for it. */
export interface OwnJob {
  jobId: string;
  nextSequence: number;
}

export interface SocketCase {
  index: number;
  namespace: '/agent' | '/support';
  /** Which connection sends it: an agent (by token index) or a support viewer (by username). */
  sender: number | string;
  event: string;
  /** What the case sends after the event name. */
  args: unknown[];
  /** Whether the last argument is an ack callback the server must answer. */
  withAck: boolean;
  shape: 'near-valid' | 'foreign-ids' | 'random' | 'non-object' | 'many-args' | 'stray-event';
}

const base64 = (random: Random, bytes: number) =>
  Buffer.from(Array.from({ length: bytes }, () => random.int(0, 255))).toString('base64');
const hex = (random: Random, length: number) =>
  Array.from({ length }, () => random.int(0, 15).toString(16)).join('');

function reader(random: Random, real: RealValues) {
  return {
    name: random.chance(0.8)
      ? random.pick(['Virtual PCD 00 00', 'Virtual PCD 00 01'])
      : hostileString(random, real),
    cardPresent: random.chance(0.7),
    ...(random.chance(0.7) ? { atr: hex(random, random.pick([18, 38, 66])) } : {}),
  };
}

function jobError(random: Random, real: RealValues) {
  return {
    code: random.chance(0.4) ? 'pin_blocked' : random.pick(jobErrorCodes),
    message: random.chance(0.7) ? 'Kortet är låst' : hostileString(random, real),
  };
}

/** A payload of the event's own shape, with ids of real rows (other agents' jobs, other units' cards). */
export function nearValidPayload(
  random: Random,
  real: RealValues,
  event: string,
  ownJobs: readonly OwnJob[] = [],
): Record<string, unknown> {
  // Half the time a job the sender itself runs, with the sequence it expects next: its reports are taken,
  // so what they claim (a card serial, a blocked PIN) must not matter.
  const own = ownJobs.length > 0 && random.chance(0.5) ? random.pick(ownJobs) : undefined;
  const jobId = own?.jobId ?? realValue(random, real, 'jobIds');
  const sequence = (fallback: number[]) =>
    own && random.chance(0.8) ? own.nextSequence : random.pick([...fallback, random.int(1, 10_000)]);
  const at = random.chance(0.9) ? Date.now() : random.pick([1, 2 ** 53, Date.now() + 10 ** 12]);
  const serial = own || random.chance(0.6) ? realValue(random, real, 'cardSerials') : cardSerial(random);
  switch (event) {
    case 'agent:hello':
      return {
        agentVersion: random.pick(['0.1.0', '9.9.9', 'x']),
        hostname: random.pick(['vardrum-12', 'localhost']),
        readers: Array.from({ length: random.int(0, 3) }, () => reader(random, real)),
        activeJobIds: Array.from({ length: random.int(0, 3) }, () => realValue(random, real, 'jobIds')),
      };
    case 'agent:reader-event': {
      const readers = Array.from({ length: random.int(1, 3) }, () => reader(random, real));
      return {
        kind: random.pick(['reader-added', 'reader-removed', 'card-inserted', 'card-removed']),
        reader: readers[0],
        readers,
        at,
      };
    }
    case 'job:step': {
      const failed = random.chance(0.3);
      return {
        jobId,
        sequence: sequence([1, 2, 3]),
        step: random.pick(jobStepNames),
        status: failed ? 'failed' : random.pick(stepStatuses),
        at,
        durationMs: random.int(0, 5_000),
        progress: random.int(0, 100),
        card: { readerName: 'Virtual PCD 00 00', cardSerial: serial, pinTriesLeft: random.int(0, 3) },
        ...(failed ? { error: jobError(random, real) } : {}),
      };
    }
    case 'job:finished': {
      // An agent's own job ending in a blocked PIN is the report that once locked any card it named.
      if (own && random.chance(0.6)) {
        return {
          jobId,
          sequence: sequence([]),
          state: 'failed',
          at,
          error: { code: 'pin_blocked', message: 'PIN spärrad' },
        };
      }
      const state = random.pick(['succeeded', 'failed', 'failed', 'cancelled']);
      return {
        jobId,
        sequence: sequence([1, 2, 5]),
        state,
        at,
        ...(state === 'failed' ? { error: jobError(random, real) } : {}),
      };
    }
    case 'job:exchange': {
      const type = random.pick([
        'register_card',
        'sign_in',
        'prove_card',
        'request_certificates',
        'confirm_certificates',
      ]);
      if (type === 'request_certificates') {
        return {
          type,
          jobId,
          keys: {
            authentication: base64(random, 91),
            signature: base64(random, 91),
            cardAuthentication: base64(random, 91),
          },
        };
      }
      if (type === 'confirm_certificates') {
        return {
          type,
          jobId,
          fingerprints: {
            authentication: hex(random, 64),
            signature: hex(random, 64),
            cardAuthentication: hex(random, 64),
          },
        };
      }
      return {
        type,
        jobId,
        certificate: base64(random, random.pick([10, 300, 900])),
        signature: base64(random, 64),
      };
    }
    case 'agent:autostart':
      return {
        autoStartToken: Buffer.from(Array.from({ length: 32 }, () => random.int(0, 255))).toString(
          'base64url',
        ),
      };
    case 'agent:support-code':
      return {};
    case 'support:start-card-check':
      return {
        agentSessionId: realValue(random, real, 'agentSessionIds'),
        readerName: random.chance(0.8) ? 'Virtual PCD 00 00' : hostileString(random, real),
      };
    case 'support:send-message':
      return {
        text: random.chance(0.5) ? 'Ta ut kortet och sätt i det igen' : hostileString(random, real),
        ...(random.chance(0.6) ? { jobId } : {}),
        ...(random.chance(0.5) ? { agentSessionId: realValue(random, real, 'agentSessionIds') } : {}),
      };
    default:
      return { jobId };
  }
}

/** Replaces one to three fields of a valid-shaped payload with hostile values of any type. */
function spoil(random: Random, real: RealValues, payload: Record<string, unknown>): Record<string, unknown> {
  const spoiled = { ...payload };
  const keys = Object.keys(spoiled);
  for (let count = random.int(1, 3); count > 0 && keys.length > 0; count--) {
    spoiled[random.pick(keys)] = hostileValue(random, real);
  }
  if (random.chance(0.1))
    spoiled[random.pick(['extra', '__proto__', 'ok', 'agentId'])] = hostileValue(random, real);
  return spoiled;
}

export function socketCase(
  index: number,
  random: Random,
  real: RealValues,
  agentCount: number,
  supportUsers: readonly string[],
  /** The unfinished jobs of an agent (by token index), so its reports can name them. */
  runningJobsOf: (agent: number) => OwnJob[] = () => [],
): SocketCase {
  const fromAgent = random.chance(0.6);
  const namespace = fromAgent ? '/agent' : '/support';
  const sender = fromAgent ? random.int(0, agentCount - 1) : random.pick(supportUsers);
  const ownJobs = typeof sender === 'number' ? runningJobsOf(sender) : [];
  const shape = random.weighted<SocketCase['shape']>([
    [40, 'near-valid'],
    [20, 'foreign-ids'],
    [20, 'random'],
    [8, 'non-object'],
    [6, 'many-args'],
    [6, 'stray-event'],
  ]);
  const ownEvents: readonly string[] = fromAgent ? agentEvents : supportEvents;
  const otherEvents: readonly string[] = fromAgent ? supportEvents : agentEvents;
  const event =
    shape === 'stray-event' ? random.pick([...strayEvents, ...otherEvents]) : random.pick(ownEvents);
  const withAck = random.chance(0.75);
  let args: unknown[];
  switch (shape) {
    case 'near-valid':
      args = [
        random.chance(0.5)
          ? nearValidPayload(random, real, event, ownJobs)
          : spoil(random, real, nearValidPayload(random, real, event, ownJobs)),
      ];
      break;
    case 'foreign-ids':
      args = [nearValidPayload(random, real, event, ownJobs)];
      break;
    case 'random':
      args = [hostileValue(random, real)];
      break;
    case 'non-object':
      args = [
        random.pick([
          null,
          0,
          -1,
          Number.NaN,
          'job',
          '',
          true,
          [],
          [nearValidPayload(random, real, event, ownJobs)],
          Buffer.from('binary'),
        ]),
      ];
      break;
    case 'many-args':
      args = Array.from({ length: random.int(0, 6) }, () => hostileValue(random, real));
      break;
    default:
      args = [hostileValue(random, real)];
  }
  return { index, namespace, sender, event, args, withAck, shape };
}
