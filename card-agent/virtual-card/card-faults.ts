/**
 * Fault injection for the virtual card, so tests can break a card job at any APDU. A fault is armed on a
 * card process, counts the command APDUs it receives from then on (GET RESPONSE and chain parts each count)
 * and fires once, at APDU `at`. Every fault has a precise meaning for the card's persistent state:
 *
 * - `drop`:   the card is pulled as APDU `at` arrives. It is not executed and never answered; the card
 *             stays out of the reader until reinserted (`awayMs` later, or when the test reinserts it).
 * - `status`: APDU `at` is answered with the status word `sw` and not executed.
 * - `power`:  APDU `at` is executed and its effect persisted, then power is lost before the answer: no
 *             answer, the connection drops, and the card is back `awayMs` later with its volatile state
 *             (PIN verified, management key authenticated, pending chains) gone, as after a reset.
 */
export type CardFault =
  | { kind: 'drop'; at: number; awayMs?: number }
  | { kind: 'status'; at: number; sw: number }
  | { kind: 'power'; at: number; awayMs?: number };

export type CardFaultKind = CardFault['kind'];

/** What the card does with one received APDU. */
export type FaultAction =
  | { do: 'execute' }
  | { do: 'answer'; sw: number }
  | { do: 'disconnect'; execute: boolean; awayMs: number | undefined };

/** How long a card that lost power stays unpowered unless the fault says otherwise. */
export const POWER_LOSS_AWAY_MS = 100;

const SPEC = /^(drop|power)@(\d+)(?::(\d+))?$|^sw([0-9a-f]{4})@(\d+)$/i;

/**
 * The command-line form: `drop@N[:awayMs]`, `power@N[:awayMs]`, `swXXXX@N` (e.g. `sw6f00@7`).
 * A `drop` without awayMs leaves the card out for good (its process ends, as `--yank-after-apdus`).
 */
export function parseCardFault(spec: string): CardFault {
  const match = SPEC.exec(spec.trim());
  if (!match) throw new Error(`not a card fault: ${spec} (drop@N[:ms], power@N[:ms] or swXXXX@N)`);
  const [, kind, at, away, sw, swAt] = match;
  if (sw) return { kind: 'status', at: positive(swAt!), sw: Number.parseInt(sw, 16) };
  const awayMs = away === undefined ? undefined : Number(away);
  return { kind: kind!.toLowerCase() as 'drop' | 'power', at: positive(at!), ...(awayMs ? { awayMs } : {}) };
}

function positive(digits: string): number {
  const value = Number(digits);
  if (!Number.isInteger(value) || value < 1) throw new Error('a fault fires at APDU 1 or later');
  return value;
}

export function describeCardFault(fault: CardFault): string {
  if (fault.kind === 'status') return `sw${fault.sw.toString(16).padStart(4, '0')}@${fault.at}`;
  return `${fault.kind}@${fault.at}${fault.awayMs ? `:${fault.awayMs}` : ''}`;
}

/** Counts the APDUs since arming and says, for each, whether the armed fault fires on it. */
export class FaultInjector {
  private fault: CardFault | undefined;
  private received = 0;
  /** The INS byte of every APDU since the last arm(), for tests that classify a job's APDUs. */
  readonly trace: number[] = [];
  fired: CardFault | undefined;

  constructor(fault?: CardFault) {
    this.arm(fault);
  }

  /** Sets (or with undefined clears) the fault and restarts the count. */
  arm(fault: CardFault | undefined): void {
    this.fault = fault;
    this.received = 0;
    this.trace.length = 0;
    this.fired = undefined;
  }

  get apdus(): number {
    return this.received;
  }

  onApdu(command: Buffer): FaultAction {
    this.received += 1;
    this.trace.push(command[1] ?? 0);
    const fault = this.fault;
    if (!fault || fault.at !== this.received) return { do: 'execute' };
    this.fault = undefined;
    this.fired = fault;
    if (fault.kind === 'status') return { do: 'answer', sw: fault.sw };
    if (fault.kind === 'drop') return { do: 'disconnect', execute: false, awayMs: fault.awayMs };
    return { do: 'disconnect', execute: true, awayMs: fault.awayMs ?? POWER_LOSS_AWAY_MS };
  }
}
