/**
 * The real server (without Remix) as a process of its own on an SQLite file, so the kill test can SIGKILL it
 * in the middle of a card job and start it again on the same file and port.
 *
 *   node --import tsx server/security/card-fault-server.ts <database file> <port>
 */
import { startTestServer } from '../testing/test-server';
import { labJobTimeouts } from './card-fault-lab';

const [databasePath, port] = process.argv.slice(2);
if (!databasePath || !port) throw new Error('usage: card-fault-server.ts <database file> <port>');
// The production grace for an agent to come back: after a restart the agent reconnects with backoff (up to
// 5 s), and its running job should be able to resume rather than fail for the test's impatience.
const jobTimeouts = { ...labJobTimeouts, reconnectGraceMs: 15_000 };
const server = await startTestServer({ databaseUrl: databasePath, port: Number(port), jobTimeouts });
process.stdout.write(`listening on ${server.url}\n`);
