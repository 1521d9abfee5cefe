import { ApduChannel, type ApduChannelOptions } from '../pcsc/apdu-channel.js';
import { cardLogger } from '../pcsc/logger.js';
import { type ConnectOptions, PcscConnection } from '../pcsc/pcsc-connection.js';
import { PivSession } from './piv-session.js';

export type OpenPivSessionOptions = ConnectOptions & ApduChannelOptions;

/**
 * Connects to the card in `readerName` through pcscd and selects its PIV application. The
 * connection is exclusive by default; call `close()` when done (it resets the card, so a
 * verified PIN does not outlive the session).
 */
export async function openPivSession(
  readerName: string,
  options: OpenPivSessionOptions = {},
): Promise<PivSession> {
  const connection = await PcscConnection.open(readerName, options);
  try {
    const channel = new ApduChannel(connection, options);
    return await PivSession.open(channel, options.logger ?? cardLogger);
  } catch (error) {
    await connection.close();
    throw error;
  }
}
