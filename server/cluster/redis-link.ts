import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Logger } from '../logger';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * This process's link to the Redis that the server processes of one installation share: Socket.IO's
 * adapter (events and rooms across processes, connection state recovery) and the shared counters (login
 * limits). Without `REDIS_URL` the server is one process and keeps both in memory.
 */
export interface RedisLink {
  client: RedisClient;
  /** Socket.IO's Redis Streams adapter over this link. */
  socketAdapter(): ReturnType<typeof createAdapter>;
  /** Whether Redis answers a PING now: part of readiness. */
  answers(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long readiness waits for Redis's answer: the balancer's check must not hang on a Redis outage. */
const pingTimeoutMs = 2_000;

export async function connectRedis(url: string, logger: Logger): Promise<RedisLink> {
  const log = logger.child({ component: 'redis' });
  const client = createClient({
    url,
    // Reconnects for as long as the process lives; each wait grows to at most two seconds.
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000), connectTimeout: 5_000 },
  });
  let down = false;
  client.on('error', (error: unknown) => {
    if (!down) log.error({ err: error }, 'Redis unreachable');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  await client.connect();
  return {
    client,
    // A short blocking read: a closing server's reader stops within a second.
    // Heartbeats every second: a killed process stops being waited for within three, not ten.
    socketAdapter: () =>
      createAdapter(client, {
        streamName: 'siths-desk:socket.io',
        blockTimeInMs: 1_000,
        heartbeatInterval: 1_000,
        heartbeatTimeout: 3_000,
      }),
    async answers() {
      // A timer of its own: node-redis's command timeout stops counting once the command is sent, and a
      // Redis that accepts a connection but does not answer must not hang the balancer's check.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), pingTimeoutMs);
      });
      try {
        const pong = client.ping().then(
          (answer) => answer === 'PONG',
          () => false,
        );
        return await Promise.race([pong, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
}
