import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { vpcdReaderName } from '../../test-support/pcscd.js';
import { TestRig } from '../virtual-card/test-rig.js';
import { ReaderMonitor, type ReaderMonitorEvents, type ReaderState } from './reader-monitor.js';

const logger = pino({ level: 'silent' });
const rig = new TestRig();
let monitor: ReaderMonitor | undefined;

beforeAll(() => rig.start());
afterAll(() => rig.stop());
afterEach(() => monitor?.stop());

function nextEvent<E extends keyof ReaderMonitorEvents>(
  source: ReaderMonitor,
  event: E,
  matches: (state: ReaderState) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ReaderState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (state: ReaderState) => {
      if (!matches(state)) return;
      clearTimeout(timer);
      source.off(event, listener as never);
      resolve(state);
    };
    source.on(event, listener as never);
  });
}

/** Each reader's first status arrives on its own thread, so wait for both. */
const bothReadersAdded = (source: ReaderMonitor) =>
  Promise.all(
    [0, 1].map((slot) =>
      nextEvent(source, 'reader-added', (state) => state.name === vpcdReaderName(slot), 15_000),
    ),
  );

describe('ReaderMonitor on real pcscd', () => {
  it("lists vpcd's two readers and reports a card's insertion with its ATR and its removal", async () => {
    monitor = new ReaderMonitor({ logger });
    const both = bothReadersAdded(monitor);
    monitor.start();
    await both;
    expect(
      monitor
        .readers()
        .map((reader) => reader.name)
        .sort(),
    ).toEqual([vpcdReaderName(0), vpcdReaderName(1)]);
    expect(monitor.readers().every((reader) => !reader.cardPresent)).toBe(true);

    const card = rig.createCard();
    const insertedEvent = nextEvent(monitor, 'card-inserted');
    const process = await rig.insert(card, { slot: 1 });
    const inserted = await insertedEvent;
    expect(inserted).toMatchObject({ name: vpcdReaderName(1), cardPresent: true });
    expect(inserted.atr).toMatch(/^3b8a8001/);
    expect(monitor.readers().find((reader) => reader.name === vpcdReaderName(1))?.cardPresent).toBe(true);

    const removed = nextEvent(monitor, 'card-removed');
    await process.remove();
    expect(await removed).toEqual({ name: vpcdReaderName(1), cardPresent: false });
  });

  it('reports a card that is already in a reader when monitoring starts', async () => {
    const card = rig.createCard();
    const process = await rig.insert(card, { slot: 0 });
    monitor = new ReaderMonitor({ logger });
    const inserted = nextEvent(monitor, 'card-inserted');
    monitor.start();
    expect(await inserted).toMatchObject({ name: vpcdReaderName(0), cardPresent: true });
    await process.remove();
  });

  it('survives pcscd stopping and starting again, reporting readers gone and back', async (context) => {
    if (rig.reusedPcscd) context.skip();
    monitor = new ReaderMonitor({ logger, retryMs: 200 });
    const errors: Error[] = [];
    monitor.on('error', (error) => errors.push(error));
    const added = bothReadersAdded(monitor);
    monitor.start();
    await added;

    const gone = nextEvent(monitor, 'reader-removed', (state) => state.name === vpcdReaderName(1));
    await rig.stopPcscd();
    await gone;
    expect(monitor.readers()).toEqual([]);
    // pcsclite may tell of the readers before it tells of the lost service: the error can come a moment later.
    await vi.waitFor(() => expect(errors[0]?.name).toBe('PcscUnavailableError'), { timeout: 5_000 });

    const back = bothReadersAdded(monitor);
    await rig.restartPcscd();
    await back;
    expect(monitor.readers()).toHaveLength(2);
  });

  it('starts without pcscd and picks the readers up once it runs', async (context) => {
    if (rig.reusedPcscd) context.skip();
    await rig.stopPcscd();
    monitor = new ReaderMonitor({ logger, retryMs: 200 });
    monitor.on('error', () => {});
    monitor.start();
    expect(monitor.readers()).toEqual([]);
    const added = nextEvent(monitor, 'reader-added', () => true, 15_000);
    await rig.restartPcscd();
    expect((await added).name).toMatch(/^Virtual PCD/);
  });
});
