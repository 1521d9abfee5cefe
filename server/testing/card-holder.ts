import type { AppDatabase } from '../../db/connection';
import { newId } from '../../db/ids';
import { cards, persons, units } from '../../db/schema';

/** A unit, a person in it and the person's active trust-level-3 card with `cardSerial`. */
export async function addCardHolder(db: AppDatabase, cardSerial: string) {
  const number = cardSerial.slice(-12);
  const unitId = newId();
  const personId = newId();
  const cardId = newId();
  await db
    .insert(units)
    .values({ id: unitId, hsaId: `SE2321000131-E${number}`, name: 'Enhet', organisation: 'Region' });
  await db
    .insert(persons)
    .values({ id: personId, hsaId: `SE2321000131-P${number}`, givenName: 'Åsa', surname: 'Öberg' });
  await db.insert(cards).values({
    id: cardId,
    serial: cardSerial,
    kind: 'ordinary',
    productCode: 'SITHS-ORD-3',
    trustLevel: 3,
    state: 'active',
    holderPersonId: personId,
    unitId,
    validFrom: new Date('2025-01-01T00:00:00Z'),
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  return { unitId, personId, cardId };
}
