import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { JobOffer } from '../../protocol/jobs';

/**
 * The Socket.IO clients of one test, connected to the server under test as separate programs would be
 * (each its own connection, no reconnection), and closed together when the test ends.
 */
export class TestSockets {
  readonly #sockets: Socket[] = [];

  constructor(private readonly serverUrl: () => string) {}

  /** Connects to `namespace` with the handshake's `auth` and a cookie; resolves once the server accepted. */
  open(
    namespace: string,
    auth: Record<string, string> = {},
    cookie?: string,
    options: Partial<ManagerOptions & SocketOptions> = {},
  ): Promise<Socket> {
    const socket = io(`${this.serverUrl()}${namespace}`, {
      transports: ['websocket'],
      // Otherwise clients of one process share a connection and its namespaces.
      forceNew: true,
      reconnection: false,
      auth,
      extraHeaders: cookie ? { cookie } : {},
      ...options,
    });
    this.#sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  /**
   * An agent program: connects with the device token, answers every offer with `answer` (accepted, unless
   * a test says otherwise), says hello with no readers and no jobs, and records the offers it got.
   */
  async openAgent(token: string, answer: unknown = { accepted: true }) {
    const socket = await this.open('/agent', { token });
    const offers: JobOffer[] = [];
    socket.on('job:offer', (offer: JobOffer, reply: (answer: unknown) => void) => {
      offers.push(offer);
      reply(answer);
    });
    await socket
      .timeout(2_000)
      .emitWithAck('agent:hello', { agentVersion: 'test', readers: [], activeJobIds: [] });
    const call = <T>(event: string, payload: unknown) =>
      socket.timeout(5_000).emitWithAck(event, payload) as Promise<T>;
    return { socket, offers, call };
  }

  closeAll(): void {
    for (const socket of this.#sockets.splice(0)) socket.close();
  }
}
