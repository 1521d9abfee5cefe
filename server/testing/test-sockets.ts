import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

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

  closeAll(): void {
    for (const socket of this.#sockets.splice(0)) socket.close();
  }
}
