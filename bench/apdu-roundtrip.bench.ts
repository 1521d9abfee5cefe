/**
 * APDU round-trip time through pcscd + vpcd to the virtual card, and how many APDUs the card
 * operations of the flows take. Starts pcscd and a virtual card itself and stops both.
 *
 *   npx tsx bench/apdu-roundtrip.bench.ts [--iterations 200]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ApduChannel } from '../card-agent/pcsc/apdu-channel.js';
import type { CardTransport } from '../card-agent/pcsc/card-transport.js';
import type { KeyAlgorithm } from '../card-agent/piv/piv-constants.js';
import type { PivSession } from '../card-agent/piv/piv-session.js';
import { PivSession as InProcessSession } from '../card-agent/piv/piv-session.js';
import { createCardState } from '../card-agent/virtual-card/create-card.js';
import { PivApplet } from '../card-agent/virtual-card/piv-applet.js';
import { issueTestCertificate, type TestCard, TestRig } from '../card-agent/virtual-card/test-rig.js';

const logger = pino({ level: 'silent' });
const { values } = parseArgs({ options: { iterations: { type: 'string', default: '200' } } });
const iterations = Number(values.iterations);

interface Sample {
  what: string;
  apdus: number;
  ms: number;
}

/** Runs an operation and reports the APDUs it exchanged (GET RESPONSE and chain parts included). */
async function counted(
  session: PivSession,
  what: string,
  operation: () => Promise<unknown>,
): Promise<Sample> {
  const before = session.apduStats.apdus;
  const started = performance.now();
  await operation();
  return { what, apdus: session.apduStats.apdus - before, ms: performance.now() - started };
}

async function roundTrips(session: PivSession): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await session.pinTriesLeft();
    times.push(performance.now() - started);
  }
  return times;
}

/** The same APDU with the applet in this process: the card's own share of the round trip. */
async function inProcessRoundTrips(card: TestCard): Promise<number[]> {
  const applet = new PivApplet(createCardState({ ...card, kind: 'ordinary' }), () => {});
  const transport: CardTransport = {
    readerName: 'in-process',
    protocol: 'T1',
    atr: '',
    transmit: async (command) => applet.process(command),
    close: async () => {},
  };
  const session = await InProcessSession.open(new ApduChannel(transport, { logger }), logger);
  return roundTrips(session);
}

async function generateAndCertify(rig: TestRig, card: TestCard, algorithm: KeyAlgorithm): Promise<Sample[]> {
  const inserted = await rig.insert(card, { slot: 0 });
  const session = await rig.open(inserted.readerName, { logger });
  try {
    const auth = await counted(session, 'authenticate management key', () =>
      session.authenticateManagementKey(card.managementKey),
    );
    let publicKey: Awaited<ReturnType<PivSession['generateKey']>> | undefined;
    const generate = await counted(session, `generate ${algorithm} in 9A`, async () => {
      publicKey = await session.generateKey('9a', algorithm);
    });
    const certificate = await issueTestCertificate(publicKey!, card.serial);
    const put = await counted(session, `put certificate (${certificate.length} bytes)`, () =>
      session.putCertificate('9a', certificate),
    );
    return [auth, generate, put];
  } finally {
    await session.close();
    await inserted.remove();
  }
}

async function pinFlows(rig: TestRig, card: TestCard): Promise<{ rtt: number[]; samples: Sample[] }> {
  const inserted = await rig.insert(card, { slot: 0 });
  const session = await rig.open(inserted.readerName, { logger });
  try {
    const open = {
      what: 'open session (SELECT PIV)',
      apdus: session.apduStats.apdus,
      ms: session.apduStats.totalMs,
    };
    const verify = await counted(session, 'verify PIN', () => session.verifyPin(card.pin));
    const rtt = await roundTrips(session);
    for (let i = 0; i < 3; i++) await session.verifyPin('000000').catch(() => {});
    const unblock = await counted(session, 'unblock PIN (PUK + new PIN)', () =>
      session.unblockPin(card.puk, card.pin),
    );
    return { rtt, samples: [open, verify, unblock] };
  } finally {
    await session.close();
    await inserted.remove();
  }
}

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = sorted.reduce((sum, t) => sum + t, 0) / sorted.length;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted.at(-1)!, mean };
}

const ms = (value: number) => `${value.toFixed(2)} ms`.padStart(10);

function printRoundTrip(label: string, times: number[]): void {
  const s = stats(times);
  console.log(
    `  ${label.padEnd(34)} min ${ms(s.min)}  median ${ms(s.median)}  p95 ${ms(s.p95)}  mean ${ms(s.mean)}`,
  );
}

function printOperations(title: string, samples: Sample[]): void {
  console.log(`\n${title}`);
  for (const sample of samples)
    console.log(`  ${sample.what.padEnd(40)} ${String(sample.apdus).padStart(3)} APDUs ${ms(sample.ms)}`);
  const total = samples.reduce((sum, s) => ({ apdus: sum.apdus + s.apdus, ms: sum.ms + s.ms }), {
    apdus: 0,
    ms: 0,
  });
  console.log(`  ${'total'.padEnd(40)} ${String(total.apdus).padStart(3)} APDUs ${ms(total.ms)}`);
}

async function main(): Promise<void> {
  const rig = await new TestRig().start();
  try {
    const card = rig.createCard();
    const { rtt, samples } = await pinFlows(rig, card);
    const inProcess = await inProcessRoundTrips(card);
    console.log(`\nAPDU round trip (VERIFY status query, ${iterations} times, T=1)`);
    printRoundTrip('pcsclite -> pcscd -> vpcd -> card', rtt);
    printRoundTrip('in process (applet alone)', inProcess);
    printOperations('PIN verify and unblock', samples);
    printOperations(
      'Generate + certify, ECC P-256',
      await generateAndCertify(rig, rig.createCard(), 'ECCP256'),
    );
    printOperations(
      'Generate + certify, RSA 2048',
      await generateAndCertify(rig, rig.createCard(), 'RSA2048'),
    );
    console.log(
      '\nAPDU counts include GET RESPONSE and command-chain parts. Each exchange through vpcd costs ~40 ms',
      '\nbecause vpcd sends the length and the APDU in two send() calls without TCP_NODELAY (Nagle waits',
      '\nfor the delayed ACK); a physical reader does not have this cost.',
    );
  } finally {
    await rig.stop();
  }
}

await main();
