import { connect, type Socket } from 'node:net';

/** vpcd's TCP port for reader slot n ("Virtual PCD 00 0n"). */
export const VPCD_BASE_PORT = 35963;
export const vpcdPort = (slot: number) => VPCD_BASE_PORT + slot;
export const vpcdReaderName = (slot: number) => `Virtual PCD 00 ${String(slot).padStart(2, '0')}`;

const CONTROL = { POWER_OFF: 0x00, POWER_ON: 0x01, RESET: 0x02, GET_ATR: 0x04 } as const;

export interface VpcdCard {
  atr(): Buffer;
  /** Power off, power on and reset: vpcd expects no answer. */
  powerChanged(): void;
  /** Answers a C-APDU; undefined means "say nothing" (used to simulate a pulled card). */
  apdu(command: Buffer): Buffer | undefined;
}

/**
 * One TCP connection to vpcd, which is the card being in the reader. Messages both ways are a
 * two-byte big-endian length and the bytes; one-byte messages from vpcd are control codes.
 */
export function connectToVpcd(port: number, card: VpcdCard, host = '127.0.0.1'): Socket {
  const socket = connect({ port, host });
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      const answer = handleMessage(card, message);
      if (answer && !socket.destroyed) socket.write(frame(answer));
    }
  });
  return socket;
}

function handleMessage(card: VpcdCard, message: Buffer): Buffer | undefined {
  if (message.length !== 1) return card.apdu(Buffer.from(message));
  if (message[0] === CONTROL.GET_ATR) return card.atr();
  card.powerChanged();
  return undefined;
}

function frame(data: Buffer): Buffer {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(data.length);
  return Buffer.concat([header, data]);
}
