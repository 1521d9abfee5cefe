import { parseArgs } from 'node:util';
import { readerEventKinds } from '../protocol/agent-events';
import { cardLogger } from './pcsc/logger';
import { ReaderMonitor } from './pcsc/reader-monitor';
import { connectToServer } from './server-link';

const usage = `Usage: card-agent [--server URL] [--token TOKEN]

  --server  siths-desk server address (env SITHS_SERVER_URL, default http://127.0.0.1:3000)
  --token   this computer's device token (env SITHS_AGENT_TOKEN); required`;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const serverUrl = values.server ?? process.env.SITHS_SERVER_URL ?? 'http://127.0.0.1:3000';
const deviceToken = values.token ?? process.env.SITHS_AGENT_TOKEN;
if (!deviceToken) {
  console.error(`A device token is needed.\n\n${usage}`);
  process.exit(2);
}

const logger = cardLogger.child({ process: 'card-agent' });
const monitor = new ReaderMonitor({ logger });
const link = connectToServer({ serverUrl, deviceToken, logger, currentReaders: () => monitor.readers() });

for (const kind of readerEventKinds) {
  monitor.on(kind, (reader) => {
    logger.info({ kind, reader: reader.name }, 'reader event');
    link.reportReaderEvent(kind, reader);
  });
}
monitor.on('error', (error) => logger.warn({ message: error.message }, 'PC/SC not available, retrying'));
monitor.start();
logger.info({ serverUrl }, 'card-agent started');

function shutDown() {
  monitor.stop();
  link.close();
  process.exit(0);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
