import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isValidPin } from '../piv/pin';
import { newPinProblem, type PinPolicyProblem } from '../piv/pin-policy';
import { cancelledByUser } from './job-errors';

/** Why the user is asked for the PIN: decides the texts around the question. */
export type PinContext =
  /** "Läs kortet och verifiera PIN". */
  | { kind: 'card_check' }
  /** A login: "Jag legitimerar mig hos <relyingParty>". */
  | { kind: 'login'; relyingParty: string }
  /** A reserve card registers before its activation: "Ditt kort behöver registreras". */
  | { kind: 'registration' }
  /** The security code from the reserve card's envelope, for its activation. */
  | { kind: 'activation' }
  /** "Underteckna": the statement the card's signature key (9C) is to sign, shown as it will be signed. */
  | { kind: 'signature'; statement: string };

/** What the user is asked; never carries a code. */
export interface PinRequest {
  jobId: string;
  context: PinContext;
  cardSerial?: string;
  triesLeft?: number;
  /** The previous PIN was wrong. */
  retry?: boolean;
}

/** A new PIN, typed twice, for an unlock. */
export interface NewPinRequest {
  jobId: string;
  cardSerial?: string;
  /** An unlock support runs with the user on the phone: the staff member's name, shown above the question. */
  assistedBy?: string;
}

/** Why the last answer to a new-PIN prompt was not taken; the prompt stays open. */
export type NewPinProblem = PinPolicyProblem | 'new_pin_mismatch';

export type PinPrompt =
  | ({ kind: 'pin'; promptId: string } & PinRequest)
  | ({ kind: 'new_pin'; promptId: string; problem?: NewPinProblem } & NewPinRequest);

/** The card's current PIN, where the job knows it: kept with the open prompt, never in it. */
export interface NewPinCheck {
  previousPin?: string;
}

export interface UserPrompts {
  askPin(request: PinRequest, signal: AbortSignal): Promise<string>;
  /** Resolves with a new PIN the user typed the same twice that keeps the code policy (piv/pin-policy.ts). */
  askNewPin(request: NewPinRequest & NewPinCheck, signal: AbortSignal): Promise<string>;
}

export type SubmitResult = 'accepted' | 'invalid_pin' | 'no_prompt';
export type SubmitNewPinResult = 'accepted' | NewPinProblem | 'no_prompt';

interface Pending {
  prompt: PinPrompt;
  check: NewPinCheck;
  resolve(pin: string): void;
  reject(reason: unknown): void;
}

/**
 * The one open question to the user. Whichever face answers it (the local web page, the terminal)
 * hands the code straight to the waiting job; it is kept nowhere else.
 */
export class PinPrompts
  extends EventEmitter<{ changed: [prompt: PinPrompt | undefined] }>
  implements UserPrompts
{
  private pending: Pending | undefined;

  current(): PinPrompt | undefined {
    return this.pending ? { ...this.pending.prompt } : undefined;
  }

  askPin(request: PinRequest, signal: AbortSignal): Promise<string> {
    return this.open({ ...request, kind: 'pin', promptId: randomUUID() }, signal);
  }

  askNewPin({ previousPin, ...request }: NewPinRequest & NewPinCheck, signal: AbortSignal): Promise<string> {
    return this.open({ ...request, kind: 'new_pin', promptId: randomUUID() }, signal, { previousPin });
  }

  submit(promptId: string, pin: unknown): SubmitResult {
    if (this.pending?.prompt.promptId !== promptId || this.pending.prompt.kind !== 'pin') return 'no_prompt';
    if (typeof pin !== 'string' || !isValidPin(pin)) return 'invalid_pin';
    this.answer(pin);
    return 'accepted';
  }

  /** Checked here as well as on the page: a code that breaks the rules never reaches the card. */
  submitNewPin(promptId: string, pin: unknown, repeat: unknown): SubmitNewPinResult {
    const pending = this.pending;
    if (pending?.prompt.promptId !== promptId || pending.prompt.kind !== 'new_pin') return 'no_prompt';
    const problem: NewPinProblem | undefined =
      newPinProblem(pin, pending.check.previousPin) ?? (pin !== repeat ? 'new_pin_mismatch' : undefined);
    if (problem) {
      pending.prompt = { ...pending.prompt, problem };
      this.emit('changed', this.current());
      return problem;
    }
    this.answer(pin as string);
    return 'accepted';
  }

  /** The user pressed Avbryt. */
  cancel(promptId: string): boolean {
    return this.close(promptId, cancelledByUser());
  }

  private open(prompt: PinPrompt, signal: AbortSignal, check: NewPinCheck = {}): Promise<string> {
    this.pending?.reject(new Error('replaced by a newer prompt'));
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => this.close(prompt.promptId, signal.reason);
      const settle = () => signal.removeEventListener('abort', onAbort);
      this.pending = {
        prompt,
        check,
        resolve: (pin) => {
          settle();
          resolve(pin);
        },
        reject: (reason) => {
          settle();
          reject(reason);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.emit('changed', this.current());
      if (signal.aborted) onAbort();
    });
  }

  private answer(pin: string): void {
    const { resolve } = this.pending!;
    this.pending = undefined;
    this.emit('changed', undefined);
    resolve(pin);
  }

  private close(promptId: string, reason: unknown): boolean {
    if (this.pending?.prompt.promptId !== promptId) return false;
    const { reject } = this.pending;
    this.pending = undefined;
    this.emit('changed', undefined);
    reject(reason);
    return true;
  }
}
