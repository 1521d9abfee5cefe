import { parseArgs } from 'node:util';
import { startAgent } from './agent';
import { readAgentConfig, systemConfigPath } from './enrolment/agent-config';
import { defaultCredentialPath, readCredential } from './enrolment/device-credential';
import { cardLogger } from './pcsc/logger';
import { sv } from './ui/sv';
import { agentVersion } from './version';

const usage = `Usage: card-agent [--server URL] [--token TOKEN | --enrolment-code CODE] [--credential-file FILE]
                  [--config FILE] [--ui-port PORT] [--ui-url-file FILE] [--terminal] [--open-window] [--version]

  --server           siths-desk server address (env SITHS_SERVER_URL, else the config file's serverUrl,
                     default http://127.0.0.1:3000)
  --token            a device token (env SITHS_AGENT_TOKEN): the demo's and the tests' way in, unless the
                     server refuses tokens. An enrolled computer uses its enrolment (the credential file)
                     before a token; without either it enrols:
  --enrolment-code   the enrolment code from the dashboard (env SITHS_ENROLMENT_CODE, else the config file's
                     enrolmentCode); without any, the window asks for it
  --credential-file  where this computer's device key and id are kept, readable by this user alone
                     (default $XDG_CONFIG_HOME/siths-card-agent/credential.json)
  --config           the software distribution's settings (default ${systemConfigPath}):
                     { "serverUrl": "...", "enrolmentCode": "..." }
  --ui-port          port of the local "SITHS eID-app" page on 127.0.0.1 (env SITHS_AGENT_UI_PORT,
                     default 8790; 0 picks a free port). Its access key: env SITHS_AGENT_UI_KEY, else random.
                     The server's own Mina sidor page (the origin of --server) may POST /autostart there
  --ui-url-file      write the page's address (with its key) to this file once it listens
  --terminal         also ask for codes and show support messages in this terminal
  --open-window      open the page in the browser (xdg-open) when a question needs the user, in a graphical session
  --version          print the version and exit`;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    'enrolment-code': { type: 'string' },
    'credential-file': { type: 'string' },
    config: { type: 'string' },
    'ui-port': { type: 'string' },
    'ui-url-file': { type: 'string' },
    terminal: { type: 'boolean' },
    'open-window': { type: 'boolean' },
    version: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.version) {
  console.log(agentVersion);
  process.exit(0);
}
/** Exit code 2: what is missing or wrong cannot be mended by starting again (the package's unit does not). */
function refuseToStart(message: string): never {
  console.error(message);
  process.exit(2);
}

const logger = cardLogger.child({ process: 'card-agent' });
const config = await readAgentConfig(values.config ?? process.env.SITHS_AGENT_CONFIG ?? systemConfigPath, {
  required: values.config !== undefined,
}).catch((error: Error) => refuseToStart(error.message));
const serverUrl =
  values.server ?? process.env.SITHS_SERVER_URL ?? config.serverUrl ?? 'http://127.0.0.1:3000';
const deviceToken = values.token ?? process.env.SITHS_AGENT_TOKEN;
const uiPort = Number(values['ui-port'] ?? process.env.SITHS_AGENT_UI_PORT ?? 8790);
if (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65_535)
  refuseToStart(`The UI port must be 0-65535.\n\n${usage}`);
if (!URL.canParse(serverUrl)) refuseToStart(`Not a server address: ${serverUrl}`);

const credentialPath =
  values['credential-file'] ?? process.env.SITHS_AGENT_CREDENTIAL_FILE ?? defaultCredentialPath();
// A computer that enrolled (perhaps because the server stopped taking its token) connects with its key.
const credential = await readCredential(credentialPath, serverUrl, logger);
const enrolmentCode = values['enrolment-code'] ?? process.env.SITHS_ENROLMENT_CODE ?? config.enrolmentCode;

const agent = await startAgent({
  serverUrl,
  ...(deviceToken ? { deviceToken } : {}),
  ...(credential ? { credential } : {}),
  enrolment: { credentialPath, ...(enrolmentCode ? { code: enrolmentCode } : {}) },
  logger,
  uiPort,
  uiKey: process.env.SITHS_AGENT_UI_KEY || undefined,
  uiUrlFile: values['ui-url-file'],
  terminal: values.terminal,
  openWindow: values['open-window'],
}).catch((error: NodeJS.ErrnoException) => {
  // A second start for the same user finds the first one's page port taken.
  if (error.code === 'EADDRINUSE') refuseToStart(sv.alreadyRunning(uiPort));
  throw error;
});
logger.info(
  { serverUrl, way: credential ? 'device key' : deviceToken ? 'device token' : 'enrolment' },
  'card-agent started',
);
// The page's address carries its access key: shown to the person at the terminal, never written to the log
// (which is where stdout goes when it is not a terminal); --ui-url-file hands it to a program.
if (process.stdout.isTTY) process.stdout.write(`SITHS eID-app: ${agent.ui.url}\n`);

async function shutDown() {
  await agent.stop();
  process.exit(0);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
