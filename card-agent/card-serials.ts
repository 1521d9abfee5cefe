import type { ReaderState } from '../protocol/agent-events';
import { cardSerialSchema } from '../protocol/jobs';
import type { CardAccess, CardSession } from './jobs/card-access';
import type { Logger } from './pcsc/logger';

/**
 * The serial of the card in each reader, read from its CHUID (no PIN) when the card comes in, so support
 * sees which card sits in which reader. A hint only: a job still has the card prove who it is. A card that
 * cannot be read simply has no serial. Only insertions are read: the ReaderMonitor reports a card already in
 * a reader at start as inserted, and a card no job asked for is not touched otherwise (the card-fault lab
 * counts every command a card gets from the moment its agent starts).
 */
export class CardSerials {
  private readonly serials = new Map<string, string>();
  /** The read in progress per reader; a session opened meanwhile waits for it (the connection is exclusive). */
  private readonly reading = new Map<string, Promise<void>>();
  /** Counts insertions and removals per reader, so a read that outlived its card is dropped. */
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly cards: CardAccess,
    private readonly logger: Logger,
    /** A read that hangs (pcscd gone mid-read) is given up after this, so no job waits on it for ever. */
    private readonly timeoutMs = 5_000,
  ) {}

  /** Reads the serial of the card just inserted; resolves when it is known or known to be unreadable. */
  cardInserted(readerName: string): Promise<void> {
    const generation = this.forget(readerName);
    const read = this.settled(readerName)
      .then(() => this.read(readerName))
      .then((serial) => {
        if (serial && this.generation.get(readerName) === generation) this.serials.set(readerName, serial);
      });
    const done = read.finally(() => {
      if (this.reading.get(readerName) === done) this.reading.delete(readerName);
    });
    this.reading.set(readerName, done);
    return done;
  }

  /** Resolves when no read is in progress: the agent stops only then (never closing PC/SC mid-read). */
  async idle(): Promise<void> {
    while (this.reading.size) await Promise.all(this.reading.values());
  }

  /** The card left or the reader went. */
  forget(readerName: string): number {
    this.serials.delete(readerName);
    const generation = (this.generation.get(readerName) ?? 0) + 1;
    this.generation.set(readerName, generation);
    return generation;
  }

  /** Reader states with the serial of each card that is known. */
  withSerials(readers: ReaderState[]): ReaderState[] {
    return readers.map((reader) => {
      const cardSerial = reader.cardPresent ? this.serials.get(reader.name) : undefined;
      return cardSerial ? { ...reader, cardSerial } : reader;
    });
  }

  /** Card access whose sessions wait for a serial read in the same reader to finish. */
  access(): CardAccess {
    return {
      readers: () => this.cards.readers(),
      onCardLost: (readerName, listener) => this.cards.onCardLost(readerName, listener),
      openSession: async (readerName, options) => {
        await this.settled(readerName);
        return this.cards.openSession(readerName, options);
      },
    };
  }

  private settled(readerName: string): Promise<void> {
    return this.reading.get(readerName) ?? Promise.resolve();
  }

  private async read(readerName: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        this.logger.info({ reader: readerName }, 'card serial read given up');
        resolve(undefined);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.readSerial(readerName), givenUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readSerial(readerName: string): Promise<string | undefined> {
    let session: CardSession | undefined;
    try {
      session = await this.cards.openSession(readerName, { readOnly: true });
      const { serial } = await session.readCardSerial();
      return cardSerialSchema.safeParse(serial).success ? serial : undefined;
    } catch (error) {
      this.logger.info({ reader: readerName, errorName: (error as Error)?.name }, 'card serial not read');
      return undefined;
    } finally {
      await session?.close().catch(() => {});
    }
  }
}
