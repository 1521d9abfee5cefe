import { parseArgs } from 'node:util';
import { startAgent } from './agent';
import { cardLogger } from './pcsc/logger';

const usage = `Usage: card-agent [--server URL] [--token TOKEN] [--ui-port PORT] [--ui-url-file FILE] [--terminal]
                  [--open-window]

  --server       siths-desk server address (env SITHS_SERVER_URL, default http://127.0.0.1:3000)
  --token        this computer's device token (env SITHS_AGENT_TOKEN); required
  --ui-port      port of the local "SITHS eID-app" page on 127.0.0.1 (env SITHS_AGENT_UI_PORT,
                 default 8790; 0 picks a free port). Its access key: env SITHS_AGENT_UI_KEY, else random.
                 The server's own Mina sidor page (the origin of --server) may POST /autostart there
  --ui-url-file  write the page's address (with its key) to this file once it listens
  --terminal     also ask for codes and show support messages in this terminal
  --open-window  open the page in the browser (xdg-open) when a question needs the user, in a graphical session`;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    'ui-port': { type: 'string' },
    'ui-url-file': { type: 'string' },
    terminal: { type: 'boolean' },
    'open-window': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const serverUrl = values.server ?? process.env.SITHS_SERVER_URL ?? 'http://127.0.0.1:3000';
const deviceToken = values.token ?? process.env.SITHS_AGENT_TOKEN;
const uiPort = Number(values['ui-port'] ?? process.env.SITHS_AGENT_UI_PORT ?? 8790);
if (!deviceToken || !Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65_535) {
  console.error(`${deviceToken ? 'The UI port must be 0-65535.' : 'A device token is needed.'}\n\n${usage}`);
  process.exit(2);
}

const logger = cardLogger.child({ process: 'card-agent' });
const agent = await startAgent({
  serverUrl,
  deviceToken,
  logger,
  uiPort,
  uiKey: process.env.SITHS_AGENT_UI_KEY || undefined,
  uiUrlFile: values['ui-url-file'],
  terminal: values.terminal,
  openWindow: values['open-window'],
});
logger.info({ serverUrl }, 'card-agent started');
// The page's address carries its access key: shown to the person at the terminal, never written to the log
// (which is where stdout goes when it is not a terminal); --ui-url-file hands it to a program.
if (process.stdout.isTTY) process.stdout.write(`SITHS eID-app: ${agent.ui.url}\n`);

async function shutDown() {
  await agent.stop();
  process.exit(0);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
