import pcsclite from 'pcsclite';
import { PcscUnavailableError } from './errors.js';

/** The part of pcsclite's CardReader this layer uses (its typings do not export the interface). */
export interface PcscReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_LEAVE_CARD: number;
  on(event: 'status', listener: (status: { state: number; atr?: Buffer }) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  removeAllListeners(event?: string): this;
  connect(
    options: { share_mode?: number; protocol?: number },
    cb: (err: Error | null | undefined, protocol: number) => void,
  ): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: Error | null | undefined, response: Buffer) => void,
  ): void;
  close(): void;
}

export interface PcscContext {
  on(event: 'reader', listener: (reader: PcscReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  removeAllListeners(event?: string): this;
  readonly readers: Record<string, PcscReader>;
  close(): void;
}

/** Opens a PC/SC context; pcsclite throws synchronously when pcscd is not reachable. */
export function openPcscContext(): PcscContext {
  try {
    return pcsclite() as unknown as PcscContext;
  } catch (error) {
    throw new PcscUnavailableError(`the PC/SC service is not reachable: ${(error as Error).message}`);
  }
}

const ignore = () => {};

/**
 * Closes every reader's status thread, then the context's own. Cancelling those threads makes
 * pcsclite emit late 'error' events; a no-op listener keeps them from crashing the process.
 */
export function closePcscContext(context: PcscContext): void {
  for (const reader of Object.values(context.readers)) {
    reader.removeAllListeners('status');
    reader.removeAllListeners('error');
    reader.on('error', ignore);
    reader.close();
  }
  context.removeAllListeners('reader');
  context.removeAllListeners('error');
  context.on('error', ignore);
  context.close();
}

export function isCardPresent(reader: PcscReader, state: number): boolean {
  return (state & reader.SCARD_STATE_PRESENT) !== 0 && (state & reader.SCARD_STATE_MUTE) === 0;
}

/** The PC/SC return code pcsclite writes into its error messages, e.g. "(0x80100069)". */
export function pcscReturnCode(error: Error): number | undefined {
  const match = /\(0x([0-9a-f]{8})\)/i.exec(error.message);
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

export const PCSC = {
  E_CANCELLED: 0x80100002,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_PROTO_MISMATCH: 0x8010000f,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;
