import { eq } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first } from './engine';
import type { MailablePerson } from './person-mail';
import { cards, persons } from './schema';

export interface UnlockMailFacts {
  /** Undefined when the person is not known. */
  person: MailablePerson | undefined;
  /** The card as the audit log names it (by id, in its unit); undefined for an unknown serial. */
  card: { id: string; unitId: string } | undefined;
}

/** What the mail about an unlock attempt needs: whom to tell, and which card the audit event is about. */
export async function findUnlockMailFacts(
  db: Pick<AppDatabase, 'select'>,
  personId: string,
  cardSerial: string,
): Promise<UnlockMailFacts> {
  const person = first(
    await db
      .select({
        givenName: persons.givenName,
        surname: persons.surname,
        email: persons.email,
        protectedIdentity: persons.protectedIdentity,
        leftAt: persons.leftAt,
      })
      .from(persons)
      .where(eq(persons.id, personId))
      .limit(1),
  );
  const card = first(
    await db
      .select({ id: cards.id, unitId: cards.unitId })
      .from(cards)
      .where(eq(cards.serial, cardSerial))
      .limit(1),
  );
  return { person, card };
}
