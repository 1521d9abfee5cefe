/**
 * A load process for the idle run: connects BENCH_LOAD_COUNT agents to BENCH_LOAD_URL, BENCH_LOAD_BATCH at
 * a time, until all are connected or the first batch with one that cannot connect, then holds them until
 * the benchmark stops it. Each connection is a file descriptor, so tens of thousands of agents are spread
 * over several load processes within the open-files limit.
 *
 * BENCH_LOAD_KIND=socket.io: agents `${BENCH_LOAD_TOKEN_PREFIX}${i}` from i = BENCH_LOAD_FIRST, the real
 * agent's server link. BENCH_LOAD_KIND=raw: plain `ws` connections to the raw relay.
 */
import type { HeldConnections } from './bench-child';
import { answerParent } from './bench-child';
import { RawAgent, SimulatedAgent } from './streaming-load';

const connectTimeoutMs = 30_000;
const env = process.env;
const url = env.BENCH_LOAD_URL!;
const count = Number(env.BENCH_LOAD_COUNT);
const first = Number(env.BENCH_LOAD_FIRST ?? '0');
const batchSize = Number(env.BENCH_LOAD_BATCH ?? '100');
const raw = env.BENCH_LOAD_KIND === 'raw';

interface IdleConnection {
  opened(timeoutMs: number): Promise<void>;
  isOpen(): boolean;
  close(): void;
}

function connectOne(index: number): IdleConnection {
  if (raw) {
    const agent = new RawAgent(url);
    return {
      opened: (timeoutMs) => agent.opened(timeoutMs),
      isOpen: () => agent.socket.readyState === agent.socket.OPEN,
      close: () => agent.close(),
    };
  }
  const agent = new SimulatedAgent(url, `${env.BENCH_LOAD_TOKEN_PREFIX}${index}`);
  return {
    opened: (timeoutMs) => agent.connected(timeoutMs),
    isOpen: () => agent.link.socket.connected,
    close: () => agent.close(),
  };
}

const connections: IdleConnection[] = [];
let stoppedBecause: string | null = null;
for (let start = 0; start < count && !stoppedBecause; start += batchSize) {
  const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, offset) => {
    const connection = connectOne(first + start + offset);
    connections.push(connection);
    return connection.opened(connectTimeoutMs);
  });
  const failures = (await Promise.allSettled(batch)).filter((result) => result.status === 'rejected');
  if (failures.length) stoppedBecause = String((failures[0] as PromiseRejectedResult).reason);
  if ((start / batchSize) % 20 === 19) console.log(`  idle: ${start + batch.length} of ${count} to ${url}`);
}

const held: HeldConnections = {
  reached: connections.filter((connection) => connection.isOpen()).length,
  stoppedBecause,
};
answerParent({ type: 'ready', url, held }, async () => {
  for (const connection of connections) connection.close();
});
