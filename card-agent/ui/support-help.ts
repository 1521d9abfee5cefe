import { EventEmitter } from 'node:events';
import type { SupportCodeAnswer, SupportPairingNotice } from '../../protocol/agent-events';
import { sv } from './sv';

/** "Få hjälp av support" as the window shows it: the button, the code to read out, or who is paired. */
export interface SupportHelpView {
  /** The button "Få hjälp av support" is shown. */
  offerHelp: boolean;
  /** The one-time code, grouped for reading aloud: "123 456". */
  code?: string;
  /** When the code stops working (ms since 1970), for the countdown. */
  expiresAt?: number;
  lines: string[];
}

type State =
  | { kind: 'idle' | 'asking' | 'expired' | 'failed' }
  | { kind: 'code'; code: string; expiresAt: number; minutes: number }
  | { kind: 'paired'; staffName: string };

/**
 * The user's way to let support pair with this agent session: asks the server for a one-time code,
 * shows it until it expires or support pairs, and shows who is paired until the pairing ends.
 */
export class SupportHelp extends EventEmitter<{ changed: [view: SupportHelpView] }> {
  private state: State = { kind: 'idle' };
  private expiry: NodeJS.Timeout | undefined;

  constructor(private readonly askServer: () => Promise<SupportCodeAnswer>) {
    super();
  }

  current(): SupportHelpView {
    const { state } = this;
    switch (state.kind) {
      case 'code':
        return {
          offerHelp: false,
          code: `${state.code.slice(0, 3)} ${state.code.slice(3)}`,
          expiresAt: state.expiresAt,
          lines: [sv.supportCodeRead(state.minutes)],
        };
      case 'paired':
        return { offerHelp: false, lines: [sv.supportPaired(state.staffName)] };
      case 'asking':
        return { offerHelp: false, lines: [] };
      case 'expired':
        return { offerHelp: true, lines: [sv.supportCodeExpired] };
      case 'failed':
        return { offerHelp: true, lines: [sv.supportCodeFailed] };
      case 'idle':
        return { offerHelp: true, lines: [] };
    }
  }

  /** The user pressed the button; false when a code is on its way, shown or in use already. */
  request(): boolean {
    if (!this.current().offerHelp) return false;
    this.set({ kind: 'asking' });
    this.askServer().then(
      (answer) => this.answered(answer),
      () => this.set({ kind: 'failed' }),
    );
    return true;
  }

  /**
   * The connection to the server dropped: a code or pairing belonged to that agent session, so the user
   * asks again on the next one.
   */
  sessionEnded(): void {
    if (this.state.kind !== 'idle') this.set({ kind: 'idle' });
  }

  pairing(notice: SupportPairingNotice): void {
    if (notice.state === 'paired') this.set({ kind: 'paired', staffName: notice.staffName });
    else if (this.state.kind === 'paired') this.set({ kind: 'idle' });
  }

  private answered(answer: SupportCodeAnswer): void {
    if (this.state.kind !== 'asking') return;
    const left = answer.ok ? answer.expiresAt - Date.now() : 0;
    if (!answer.ok || !/^[0-9]{6}$/.test(answer.supportCode) || left <= 0) {
      this.set({ kind: 'failed' });
      return;
    }
    const minutes = Math.max(1, Math.round(left / 60_000));
    this.set({ kind: 'code', code: answer.supportCode, expiresAt: answer.expiresAt, minutes });
    this.expiry = setTimeout(() => this.set({ kind: 'expired' }), left);
    this.expiry.unref?.();
  }

  private set(state: State): void {
    clearTimeout(this.expiry);
    this.state = state;
    this.emit('changed', this.current());
  }
}
