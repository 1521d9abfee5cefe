import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { CardProtocol } from '../pcsc/card-transport.js';
import { type CardKind, isCardSerial } from '../piv/card-serial.js';
import type { ManagementKeyAlgorithm } from '../piv/piv-constants.js';
import { type CardFault, parseCardFault } from './card-faults.js';
import { pidFilePath, readInsertedCard, runInsertedCard } from './card-process.js';
import { cardExists, loadCardState, saveCardState } from './card-state.js';
import { summarizeCard } from './card-summary.js';
import { createCardState } from './create-card.js';
import { lockCard } from './lock-card.js';

const HELP = `Virtual PIV card for vpcd (siths-desk)

Usage: npx tsx card-agent/virtual-card/cli.ts <command> [flags]

Commands:
  create   Create a card's state file.
             --serial <19 digits>          card serial (required)
             --kind ordinary|reserve       default: ordinary
             --pin <6-8 digits>            initial PIN          (or env VCARD_PIN)
             --puk <6-8 digits>            PUK from the server  (or env VCARD_PUK)
             --management-key <hex>        32 hex digits (AES-128) or 48 (3DES) (or env VCARD_MANAGEMENT_KEY)
             --management-key-algorithm AES128|3DES   default: from the key length
             --force                       replace an existing card with this serial
           Prefer the environment variables: command-line flags are visible to other users in ps.
  insert   Put the card into a vpcd reader and stay in the foreground as the card; SIGTERM or
           Ctrl-C (or 'remove') pulls it out.
             --serial <19 digits>          (required)
             --slot 0|1                    reader "Virtual PCD 00 00" (TCP 35963) or "00 01" (35964); default 0
             --protocol T1|T0              protocol announced in the ATR; default T1
             --yank-after-apdus <n>        test aid: vanish on the n-th APDU without answering it
             --fault <spec>                test aid, fires once at APDU N (counted from insertion):
                                             drop@N[:ms]   pulled as APDU N arrives (not executed);
                                                           back after ms, or gone for good
                                             power@N[:ms]  APDU N executed, power lost before the
                                                           answer; back after ms (default 100), reset
                                             swXXXX@N      APDU N answered with status XXXX, not executed
  remove   Pull an inserted card out (signals its 'insert' process).   --serial <19 digits>
  show     Print the card's state as JSON, without secrets.            --serial <19 digits>
  lock     Block the PIN as three wrong tries would (for demos).       --serial <19 digits>
           An inserted card is sent wrong PINs through pcscd; otherwise its file is changed.

Common flags:
  --state-dir <dir>   where card state files live; default ./data/cards
  --help              this text
Logs are JSON lines (pino) on stdout; LOG_LEVEL sets the level (default info). No PIN, PUK or key is
ever printed; they exist only inside the card's state file.
`;

const options = {
  serial: { type: 'string' },
  kind: { type: 'string', default: 'ordinary' },
  pin: { type: 'string' },
  puk: { type: 'string' },
  'management-key': { type: 'string' },
  'management-key-algorithm': { type: 'string' },
  force: { type: 'boolean', default: false },
  slot: { type: 'string', default: '0' },
  protocol: { type: 'string', default: 'T1' },
  'yank-after-apdus': { type: 'string' },
  fault: { type: 'string' },
  'state-dir': { type: 'string', default: './data/cards' },
  help: { type: 'boolean', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const logger = pino({ name: 'virtual-card', level: process.env.LOG_LEVEL ?? 'info' });

class UsageError extends Error {}

function requireSerial(flags: Flags): string {
  if (!flags.serial || !isCardSerial(flags.serial)) throw new UsageError('--serial must be 19 digits');
  return flags.serial;
}

function managementKeyAlgorithm(flag: string | undefined, key: Buffer): ManagementKeyAlgorithm {
  if (flag === 'AES128' || flag === '3DES') return flag;
  if (flag) throw new UsageError('--management-key-algorithm must be AES128 or 3DES');
  return key.length === 24 ? '3DES' : 'AES128';
}

function create(flags: Flags): void {
  const serial = requireSerial(flags);
  const stateDir = flags['state-dir'];
  if (cardExists(stateDir, serial) && !flags.force)
    throw new UsageError(`card ${serial} exists; --force replaces it`);
  const pin = flags.pin ?? process.env.VCARD_PIN;
  const puk = flags.puk ?? process.env.VCARD_PUK;
  const keyHex = flags['management-key'] ?? process.env.VCARD_MANAGEMENT_KEY;
  if (!pin || !puk || !keyHex) throw new UsageError('the PIN, PUK and management key are required');
  if (!/^([0-9a-fA-F]{32}|[0-9a-fA-F]{48})$/.test(keyHex))
    throw new UsageError('the management key must be 32 or 48 hex digits');
  if (flags.kind !== 'ordinary' && flags.kind !== 'reserve')
    throw new UsageError('--kind must be ordinary or reserve');
  const key = Buffer.from(keyHex, 'hex');
  const algorithm = managementKeyAlgorithm(flags['management-key-algorithm'], key);
  const state = createCardState({
    serial,
    kind: flags.kind as CardKind,
    pin,
    puk,
    managementKey: { algorithm, key },
  });
  saveCardState(stateDir, state);
  logger.info({ serial, kind: state.kind, stateDir }, 'card created');
}

async function insert(flags: Flags): Promise<void> {
  const serial = requireSerial(flags);
  const slot = Number(flags.slot);
  if (slot !== 0 && slot !== 1) throw new UsageError('--slot must be 0 or 1');
  if (flags.protocol !== 'T1' && flags.protocol !== 'T0') throw new UsageError('--protocol must be T1 or T0');
  const yank = flags['yank-after-apdus'] === undefined ? undefined : Number(flags['yank-after-apdus']);
  if (yank !== undefined && !(Number.isInteger(yank) && yank > 0))
    throw new UsageError('--yank-after-apdus must be a positive integer');
  let fault: CardFault | undefined;
  try {
    fault = flags.fault === undefined ? undefined : parseCardFault(flags.fault);
  } catch (error) {
    throw new UsageError(`--fault: ${(error as Error).message}`);
  }
  await runInsertedCard({
    stateDir: flags['state-dir'],
    serial,
    slot,
    protocol: flags.protocol as CardProtocol,
    logger,
    ...(yank ? { yankAfterApdus: yank } : {}),
    ...(fault ? { fault } : {}),
  });
}

async function remove(flags: Flags): Promise<void> {
  const serial = requireSerial(flags);
  const inserted = readInsertedCard(flags['state-dir'], serial);
  if (!inserted) {
    logger.info({ serial }, 'card is not inserted');
    return;
  }
  process.kill(inserted.pid, 'SIGTERM');
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!readInsertedCard(flags['state-dir'], serial)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  rmSync(pidFilePath(flags['state-dir'], serial), { force: true });
  throw new Error(`card process ${inserted.pid} did not stop`);
}

function show(flags: Flags): void {
  const serial = requireSerial(flags);
  const state = loadCardState(flags['state-dir'], serial);
  const inserted = readInsertedCard(flags['state-dir'], serial);
  const summary = {
    ...summarizeCard(state),
    inserted: inserted ? { reader: inserted.reader, pid: inserted.pid } : null,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

async function lock(flags: Flags): Promise<void> {
  const serial = requireSerial(flags);
  const how = await lockCard(flags['state-dir'], serial, logger);
  logger.info({ serial, how }, 'PIN blocked');
}

const COMMANDS: Record<string, (flags: Flags) => void | Promise<void>> = {
  create,
  insert,
  remove,
  show,
  lock,
};

const isParseArgsError = (error: Error) =>
  String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const command = COMMANDS[positionals[0] ?? ''];
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  await command(values);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    const usage = error instanceof UsageError || isParseArgsError(error);
    if (usage) process.stderr.write(`${error.message}\n\n${HELP}`);
    else logger.error({ err: error.message }, 'failed');
    process.exitCode = usage ? 2 : 1;
  },
);
