import type { JobOffer } from '../../protocol/jobs';
import type { CardAccess } from './card-access';
import { JobFailure } from './job-errors';

/**
 * The reader an offered job runs in: the named one, else the one holding the card with the offered
 * serial, else the only reader with a card. Throws a JobFailure the offer is refused with.
 */
export async function chooseReader(offer: JobOffer, cards: CardAccess): Promise<string> {
  const readers = cards.readers();
  if (readers.length === 0) throw new JobFailure('reader_not_found', 'no card reader is connected');
  if (offer.readerName) {
    if (readers.some((reader) => reader.name === offer.readerName)) return offer.readerName;
    throw new JobFailure('reader_not_found', `reader "${offer.readerName}" is not connected`);
  }
  const withCard = readers.filter((reader) => reader.cardPresent);
  if (!offer.cardSerial) {
    if (withCard.length === 1) return withCard[0]!.name;
    throw new JobFailure('no_card', withCard.length ? 'several cards, none named' : 'no card in any reader');
  }
  for (const reader of withCard) {
    if ((await readSerial(cards, reader.name)) === offer.cardSerial) return reader.name;
  }
  throw new JobFailure('no_card', `card ${offer.cardSerial} is in no reader`);
}

async function readSerial(cards: CardAccess, readerName: string): Promise<string | undefined> {
  try {
    const session = await cards.openSession(readerName);
    try {
      return (await session.readCardSerial()).serial;
    } finally {
      await session.close();
    }
  } catch {
    return undefined;
  }
}
