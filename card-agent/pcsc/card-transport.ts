/** A connected card that exchanges raw APDU bytes; the PC/SC connection and test doubles implement it. */
export type CardProtocol = 'T0' | 'T1';

export interface CardTransport {
  readonly readerName: string;
  readonly protocol: CardProtocol;
  /** Answer-to-reset, hex. */
  readonly atr: string;
  transmit(command: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}
