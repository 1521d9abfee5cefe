import type { JobOffer } from '../../protocol/jobs';
import type { CardAccess, CardSession } from './card-access';
import { JobFailure } from './job-errors';

/** In Swedish: the server shows this message to the user as it is, beside the app window's own text. */
const severalCards = () =>
  new JobFailure('several_cards', 'Flera kort i läsarna. Ta ut de kort du inte ska använda.');

/**
 * The reader an offered job runs in: the named one, else the one holding the card with the offered
 * serial, else the only reader with a card. A login names no card: of several, the only one whose PIN
 * is not blocked. Throws a JobFailure the offer is refused with.
 */
export async function chooseReader(offer: JobOffer, cards: CardAccess): Promise<string> {
  const readers = cards.readers();
  if (readers.length === 0) throw new JobFailure('reader_not_found', 'no card reader is connected');
  if (offer.readerName) {
    if (readers.some((reader) => reader.name === offer.readerName)) return offer.readerName;
    throw new JobFailure('reader_not_found', `reader "${offer.readerName}" is not connected`);
  }
  const withCard = readers.filter((reader) => reader.cardPresent).map((reader) => reader.name);
  if (!offer.cardSerial) {
    if (withCard.length === 0) throw new JobFailure('no_card', 'no card in any reader');
    if (withCard.length === 1) return withCard[0]!;
    if (offer.kind !== 'authenticate') throw severalCards();
    const usable: string[] = [];
    for (const name of withCard) {
      if (((await readCard(cards, name, (session) => session.pinTriesLeft())) ?? 0) > 0) usable.push(name);
    }
    if (usable.length === 1) return usable[0]!;
    throw severalCards();
  }
  for (const name of withCard) {
    const serial = await readCard(cards, name, async (session) => (await session.readCardSerial()).serial);
    if (serial === offer.cardSerial) return name;
  }
  throw new JobFailure('no_card', `card ${offer.cardSerial} is in no reader`);
}

/** What `read` finds on the card in the reader, or undefined when the card cannot be read. */
async function readCard<T>(
  cards: CardAccess,
  readerName: string,
  read: (session: CardSession) => Promise<T>,
): Promise<T | undefined> {
  try {
    const session = await cards.openSession(readerName);
    try {
      return await read(session);
    } finally {
      await session.close();
    }
  } catch {
    return undefined;
  }
}
