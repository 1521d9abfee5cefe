import type { DecodedCommandApdu } from '../pcsc/apdu.js';
import type { CardState } from './card-state.js';

/** What the card knows about the current power-up: cleared by reset, power-off and removal. */
export interface SecurityStatus {
  pinVerified: boolean;
  /** Slot 9C's "PIN always" policy: a verified PIN is good for one signature there. */
  pinUsedForAlwaysSlot: boolean;
  managementKeyAuthenticated: boolean;
  /** Management-key authentication in progress: the plain witness or challenge the card sent. */
  pendingWitness?: Buffer;
  pendingChallenge?: Buffer;
}

export const freshSecurityStatus = (): SecurityStatus => ({
  pinVerified: false,
  pinUsedForAlwaysSlot: false,
  managementKeyAuthenticated: false,
});

export interface AppletContext {
  state: CardState;
  security: SecurityStatus;
  /** Persists `state` before the card answers, so a removal never loses a counted try. */
  save(): void;
}

export interface Reply {
  data?: Buffer;
  sw: number;
}

export type CommandHandler = (context: AppletContext, command: DecodedCommandApdu) => Reply;
