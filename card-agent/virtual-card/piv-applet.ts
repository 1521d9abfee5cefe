import {
  type DecodedCommandApdu,
  decodeCommandApdu,
  encodeResponseApdu,
  type ResponseApdu,
} from '../pcsc/apdu.js';
import type { CardProtocol } from '../pcsc/card-transport.js';
import { SW } from '../pcsc/status-words.js';
import { INS } from '../piv/piv-constants.js';
import {
  type AppletContext,
  type CommandHandler,
  freshSecurityStatus,
  type Reply,
} from './applet-context.js';
import type { CardState } from './card-state.js';
import { getData, putData, select } from './data-object-commands.js';
import { generalAuthenticate, generateAsymmetricKeyPair } from './key-commands.js';
import { changeReferenceData, resetRetryCounter, verify } from './reference-data-commands.js';

const HANDLERS: Record<number, CommandHandler> = {
  [INS.SELECT]: select,
  [INS.GET_DATA]: getData,
  [INS.PUT_DATA]: putData,
  [INS.VERIFY]: verify,
  [INS.CHANGE_REFERENCE_DATA]: changeReferenceData,
  [INS.RESET_RETRY_COUNTER]: resetRetryCounter,
  [INS.GENERAL_AUTHENTICATE]: generalAuthenticate,
  [INS.GENERATE_ASYMMETRIC_KEY_PAIR]: generateAsymmetricKeyPair,
};

const SHORT_RESPONSE_MAX = 256;
const CHAINING_BIT = 0x10;

/**
 * The PIV application of the virtual card at the APDU level: command chaining, response
 * chaining with 61xx / GET RESPONSE, the T=0 rules for Le, and dispatch to the command handlers.
 */
export class PivApplet {
  private readonly context: AppletContext;
  private chain: { header: string; parts: Buffer[] } | undefined;
  private pendingResponse = Buffer.alloc(0);

  constructor(
    state: CardState,
    save: (state: CardState) => void,
    private readonly protocol: CardProtocol = 'T1',
  ) {
    this.context = { state, security: freshSecurityStatus(), save: () => save(this.context.state) };
  }

  get state(): CardState {
    return this.context.state;
  }

  /** A different card in the same body (tests restore a saved state); a reset comes with it. */
  replaceState(state: CardState): void {
    this.context.state = state;
    this.reset();
  }

  /** Power-off, reset or removal: the card forgets every verified PIN and authentication. */
  reset(): void {
    this.context.security = freshSecurityStatus();
    this.chain = undefined;
    this.pendingResponse = Buffer.alloc(0);
  }

  process(bytes: Uint8Array): Buffer {
    let command: DecodedCommandApdu;
    try {
      command = decodeCommandApdu(bytes);
    } catch {
      return encodeResponseApdu({ data: Buffer.alloc(0), sw: SW.WRONG_LENGTH });
    }
    const reply = this.handle(command);
    return encodeResponseApdu(this.shape(command, reply));
  }

  private handle(command: DecodedCommandApdu): Reply {
    if (command.ins === INS.GET_RESPONSE) return { data: this.takePending(), sw: SW.OK };
    this.pendingResponse = Buffer.alloc(0);
    if ((command.cla & ~CHAINING_BIT) !== 0) return { sw: SW.CLA_NOT_SUPPORTED };
    const whole = this.assemble(command);
    if (!whole) return { sw: SW.OK };
    const handler = HANDLERS[whole.ins];
    return handler ? handler(this.context, whole) : { sw: SW.INS_NOT_SUPPORTED };
  }

  /** Collects a command chain (ISO 7816-4 5.1.1.1); undefined while more parts are due. */
  private assemble(command: DecodedCommandApdu): DecodedCommandApdu | undefined {
    const header = `${command.ins}:${command.p1}:${command.p2}`;
    if (this.chain && this.chain.header !== header) this.chain = undefined;
    if (command.chained) {
      this.chain ??= { header, parts: [] };
      this.chain.parts.push(command.data);
      return undefined;
    }
    if (!this.chain) return command;
    const data = Buffer.concat([...this.chain.parts, command.data]);
    this.chain = undefined;
    return { ...command, cla: command.cla & ~CHAINING_BIT, data, chained: false };
  }

  /** Sends what fits Le now and announces the rest with 61xx; T=0 case 4 always goes through 61xx. */
  private shape(command: DecodedCommandApdu, reply: Reply): ResponseApdu {
    const data = reply.data ?? Buffer.alloc(0);
    if (reply.sw !== SW.OK || data.length === 0) return { data: Buffer.alloc(0), sw: reply.sw };
    const isGetResponse = command.ins === INS.GET_RESPONSE;
    const limit = command.le ?? (this.protocol === 'T0' || isGetResponse ? 0 : SHORT_RESPONSE_MAX);
    if (this.protocol === 'T0' && command.data.length > 0) return this.defer(data, 0);
    return this.defer(data, limit);
  }

  private defer(data: Buffer, limit: number): ResponseApdu {
    const now = data.subarray(0, limit);
    const rest = data.subarray(limit);
    this.pendingResponse = Buffer.from(rest);
    if (rest.length === 0) return { data: now, sw: SW.OK };
    return { data: now, sw: 0x6100 | (Math.min(rest.length, SHORT_RESPONSE_MAX) % SHORT_RESPONSE_MAX) };
  }

  private takePending(): Buffer {
    const pending = this.pendingResponse;
    this.pendingResponse = Buffer.alloc(0);
    return pending;
  }
}
