import {
  type CommandApdu,
  chainApdu,
  decodeResponseApdu,
  encodeExtendedApdu,
  encodeShortApdu,
  type ResponseApdu,
  SHORT_MAX_DATA,
  SHORT_MAX_LE,
} from './apdu.js';
import type { CardTransport } from './card-transport.js';
import { cardLogger, type Logger } from './logger.js';
import { Mutex } from './mutex.js';
import { isMoreDataAvailable, isSuccess, isWrongLe, statusError } from './status-words.js';

export interface ApduChannelOptions {
  logger?: Logger;
  /** Send one extended APDU instead of a chain when data or Le exceed short limits (T=1 only). */
  extendedLength?: boolean;
}

export interface ApduStats {
  apdus: number;
  totalMs: number;
}

const INS_GET_RESPONSE = 0xc0;

/**
 * Sends command APDUs and returns response data: chains or extends long commands, collects 61xx
 * responses with GET RESPONSE, follows 6Cxx, drops Le of case 4 commands under T=0, and turns
 * every failing status word into a typed error.
 */
export class ApduChannel {
  readonly stats: ApduStats = { apdus: 0, totalMs: 0 };
  private readonly mutex = new Mutex();
  private readonly log: Logger;
  private readonly extendedLength: boolean;

  constructor(
    readonly transport: CardTransport,
    options: ApduChannelOptions = {},
  ) {
    this.log = (options.logger ?? cardLogger).child({ reader: transport.readerName });
    this.extendedLength = (options.extendedLength ?? false) && transport.protocol === 'T1';
  }

  /**
   * Runs a multi-APDU operation without other callers of this channel interleaving; exclusion of
   * other programs comes from the exclusive PC/SC connection.
   */
  transaction<T>(operation: () => Promise<T>): Promise<T> {
    return this.mutex.run(operation);
  }

  async send(apdu: CommandApdu): Promise<Buffer> {
    const response = await this.exchange(apdu);
    if (!isSuccess(response.sw)) throw statusError(response.sw);
    return response.data;
  }

  /** Like send, but hands back the final status word instead of throwing on it. */
  async exchange(apdu: CommandApdu): Promise<ResponseApdu> {
    const data = apdu.data ?? new Uint8Array();
    const needsExtended = data.length > SHORT_MAX_DATA || (apdu.le ?? 0) > SHORT_MAX_LE;
    if (this.extendedLength && needsExtended) return this.collect(await this.transmit(apdu, true));
    const parts = chainApdu({
      ...apdu,
      le: apdu.le === undefined ? undefined : Math.min(apdu.le, SHORT_MAX_LE),
    });
    for (const part of parts.slice(0, -1)) {
      const interim = await this.transmit(part, false);
      if (!isSuccess(interim.sw)) return interim;
    }
    return this.collect(await this.transmitShort(parts.at(-1)!));
  }

  private async transmitShort(apdu: CommandApdu): Promise<ResponseApdu> {
    const hasData = (apdu.data?.length ?? 0) > 0;
    // T=0 has no room for Le after data: the card answers 61xx and we fetch with GET RESPONSE.
    const sent = this.transport.protocol === 'T0' && hasData ? { ...apdu, le: undefined } : apdu;
    const response = await this.transmit(sent, false);
    if (isWrongLe(response.sw)) return this.transmit({ ...sent, le: response.sw & 0xff || 256 }, false);
    return response;
  }

  private async collect(first: ResponseApdu): Promise<ResponseApdu> {
    const chunks = [first.data];
    let sw = first.sw;
    while (isMoreDataAvailable(sw)) {
      const next = await this.transmit(
        { cla: 0x00, ins: INS_GET_RESPONSE, p1: 0, p2: 0, le: sw & 0xff || 256 },
        false,
      );
      chunks.push(next.data);
      sw = next.sw;
    }
    return { data: Buffer.concat(chunks), sw };
  }

  private async transmit(apdu: CommandApdu, extended: boolean): Promise<ResponseApdu> {
    const bytes = extended ? encodeExtendedApdu(apdu) : encodeShortApdu(apdu);
    const started = performance.now();
    const response = decodeResponseApdu(await this.transport.transmit(bytes));
    const ms = performance.now() - started;
    this.stats.apdus += 1;
    this.stats.totalMs += ms;
    this.log.debug(
      {
        ins: hexByte(apdu.ins),
        p1: hexByte(apdu.p1),
        p2: hexByte(apdu.p2),
        lc: apdu.data?.length ?? 0,
        responseLength: response.data.length,
        sw: response.sw.toString(16).padStart(4, '0'),
        ms: Math.round(ms * 100) / 100,
      },
      'apdu',
    );
    return response;
  }
}

const hexByte = (value: number) => value.toString(16).padStart(2, '0');
