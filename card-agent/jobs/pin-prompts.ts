import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isValidPin } from '../piv/pin';
import { cancelledByUser } from './job-errors';

/** What the user is asked; never carries a code. */
export interface PinRequest {
  jobId: string;
  cardSerial?: string;
  triesLeft?: number;
  /** The previous PIN was wrong. */
  retry?: boolean;
}

export interface PinPrompt extends PinRequest {
  promptId: string;
}

export interface UserPrompts {
  askPin(request: PinRequest, signal: AbortSignal): Promise<string>;
}

export type SubmitResult = 'accepted' | 'invalid_pin' | 'no_prompt';

interface Pending {
  prompt: PinPrompt;
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
    this.pending?.reject(new Error('replaced by a newer prompt'));
    const prompt: PinPrompt = { ...request, promptId: randomUUID() };
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => this.close(prompt.promptId, signal.reason);
      const settle = () => signal.removeEventListener('abort', onAbort);
      this.pending = {
        prompt,
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

  submit(promptId: string, pin: unknown): SubmitResult {
    if (this.pending?.prompt.promptId !== promptId) return 'no_prompt';
    if (typeof pin !== 'string' || !isValidPin(pin)) return 'invalid_pin';
    const { resolve } = this.pending;
    this.pending = undefined;
    this.emit('changed', undefined);
    resolve(pin);
    return 'accepted';
  }

  /** The user pressed Avbryt. */
  cancel(promptId: string): boolean {
    return this.close(promptId, cancelledByUser());
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
