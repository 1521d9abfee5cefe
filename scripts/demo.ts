import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDemoAgentToken, demoCards, demoLogins, demoPersons, demoStaffCards } from '../db/seed';
import { demoCardPin, startSithsSystem } from '../test-support/siths-system';

const dataDir = process.env.SITHS_DATA_DIR ?? 'data';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

// Only the user who runs the demo may read its logs (the files themselves are created 0600).
mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
chmodSync(join(dataDir, 'logs'), 0o700);

const system = await startSithsSystem({
  dataDir,
  logDir: join(dataDir, 'logs'),
  port,
  host,
  agentUiPort: Number(process.env.SITHS_AGENT_UI_PORT ?? 8790),
  mailDir: join(dataDir, 'mail'),
  directoryPort: Number(process.env.SITHS_DIRECTORY_PORT ?? 3890),
  insertedCards: [
    { serial: demoCards.lockedOrdinary, slot: 0 },
    { serial: demoCards.activeOrdinary, slot: 1 },
  ],
});

const staffCardOf = (person: string | null) =>
  person && person in demoStaffCards
    ? demoStaffCards[person as keyof typeof demoStaffCards]
    : '(none: break-glass)';

console.log(`
siths-desk is running: ${system.baseUrl}

Staff log in at ${system.baseUrl}/logga-in with their SITHS eID: their own card (PIN ${demoCardPin}) or Mobile
SITHS on the phone simulator (${system.baseUrl}/mobilt-siths). To log in with idadmin1's card, swap it for
Carina's second card in reader "Virtual PCD 00 01":
  npx tsx card-agent/virtual-card/cli.ts remove --serial ${demoCards.activeOrdinary}
  npx tsx card-agent/virtual-card/cli.ts insert --serial ${demoStaffCards.idadmin1} --slot 1 &
Passwords are for break-glass (admin) and, in the demo only, the demo staff:`);
console.table(
  demoLogins.map(({ username, password, role, person, passwordLogin }) => ({
    username,
    card: staffCardOf(person),
    password,
    passwordLogin,
    role,
  })),
);
console.log(`Carina Svensson Andersson's cards are in the virtual readers: ${demoCards.lockedOrdinary} (PIN locked)
in "Virtual PCD 00 00" and ${demoCards.activeOrdinary} in "Virtual PCD 00 01". Demo card PIN: ${demoCardPin}.
One card-agent is connected (device token "${defaultDemoAgentToken}"). Its own window, the "SITHS eID-app":
  ${system.agentUiUrl}

See a job stream live in a minute: log in as "support" at ${system.baseUrl}/admin/support, press
"Starta kortkontroll" at "Virtual PCD 00 01", type ${demoCardPin} in the SITHS eID-app window and watch the steps.
Mail the system sends (the unlock mail, say) goes to a catcher on loopback, which writes each one to
${join(dataDir, 'mail')}/ as a readable .txt and the raw .eml.
The people and units come from the region's HSA directory, a slapd on ${system.directory.url} (base
${system.directory.suffix}), synced at the first start. Change it and press "Synkronisera nu" as admin at
${system.baseUrl}/admin/administration/katalog; e.g. let Olof Lindqvist leave the region:
  ldapdelete -x -H ${system.directory.url} -D cn=admin,${system.directory.suffix} -y ${join(system.directory.dir, 'admin-password')} \
    "hsaIdentity=${demoPersons.olof.hsaId},ou=Kardiologi Sahlgrenska,ou=Sahlgrenska Universitetssjukhuset,o=Västra Götalandsregionen,${system.directory.suffix}"
Sara Lund (Akutmottagning Sahlgrenska) has a protected identity: only "chef" holds the role that sees her.
Logs: ${join(dataDir, 'logs')}/. Press Ctrl-C to stop everything.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('Stopping siths-desk...');
  await system.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
void system.server.exited.then((code) => {
  if (!stopping) {
    console.error(
      `The server stopped unexpectedly (exit code ${code}); see ${join(dataDir, 'logs', 'server.log')}`,
    );
    void stop();
  }
});
