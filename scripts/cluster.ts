import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDemoAgentToken, demoCards, demoLogins } from '../db/seed';
import { type SithsCluster, startSithsCluster } from '../test-support/siths-cluster';
import { demoCardPin } from '../test-support/siths-system';

const { values } = parseArgs({ options: { processes: { type: 'string', default: '2' } } });
const processCount = Number(values.processes);
if (!Number.isInteger(processCount) || processCount < 1) {
  console.error(`--processes wants a whole number of at least 1, not "${values.processes}"`);
  process.exit(2);
}
const dataDir = join(process.env.SITHS_DATA_DIR ?? 'data', 'cluster');
const logDir = join(dataDir, 'logs');
// Only the user who runs the cluster may read its logs (the files themselves are created 0600).
mkdirSync(logDir, { recursive: true, mode: 0o700 });
chmodSync(logDir, 0o700);

const cluster = await startSithsCluster({
  processes: processCount,
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  dataDir,
  logDir,
  mail: { mailDir: join(dataDir, 'mail') },
  cards: {
    agentUiPort: Number(process.env.SITHS_AGENT_UI_PORT ?? 8790),
    insertedCards: [
      { serial: demoCards.lockedOrdinary, slot: 0 },
      { serial: demoCards.activeOrdinary, slot: 1 },
    ],
  },
});

printWhatRuns(cluster);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the cluster...');
  await cluster.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const one of cluster.processes) {
  // A process that dies is what a balancer is for: the others go on serving, so the cluster stays up.
  void one.exited.then((code) => {
    if (!stopping)
      console.error(
        `${one.name} (pid ${one.pid}) exited (${code === null ? 'killed by a signal' : `code ${code}`}); ` +
          'HAProxy sends its requests to the others. ' +
          `See ${join(logDir, `server-${one.index}.log`)}`,
      );
  });
}

function printWhatRuns(running: SithsCluster): void {
  console.log(`
siths-desk is running as ${running.processes.length} server processes behind HAProxy: ${running.url}
`);
  console.table([
    { what: 'HAProxy (balancer)', url: running.url, pid: running.haproxy.pid },
    ...running.processes.map((one) => ({ what: `server ${one.name}`, url: one.url, pid: one.pid })),
    { what: 'PostgreSQL', url: running.databaseUrl, pid: '' },
    { what: 'Redis', url: running.redis.url, pid: '' },
  ]);
  console.log('Staff logins (password):');
  console.table(demoLogins.map(({ username, password, role, sees }) => ({ username, password, role, sees })));
  console.log(`Carina Svensson Andersson's cards are in the virtual readers: ${demoCards.lockedOrdinary} (PIN locked)
in "Virtual PCD 00 00" and ${demoCards.activeOrdinary} in "Virtual PCD 00 01". Demo card PIN: ${demoCardPin}.
Their state files: ${running.cardStateDir}/ (pass --state-dir to card-agent/virtual-card/cli.ts).
One card-agent is connected through the balancer (device token "${defaultDemoAgentToken}"). Its own window,
the "SITHS eID-app":
  ${running.agent?.uiUrl}

Kill a process (kill -9 <pid>) and keep working: HAProxy takes it out within a second or two, and retries
on another process a request it could not deliver. The agent and the support page reconnect by WebSocket.
Mail goes to ${join(dataDir, 'mail')}/. Logs: ${logDir}/. The database and Redis are thrown away when the
cluster stops. Press Ctrl-C to stop everything.
`);
}
