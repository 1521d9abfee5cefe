/** What a mail to a person needs to know of them. */
export interface MailablePerson {
  givenName: string;
  surname: string;
  email: string | null;
  protectedIdentity: boolean;
  leftAt: Date | null;
}

/** Why no mail goes to a person; the audit entry of the mail that was not sent carries it. */
export type PersonMailSkipReason = 'no_email' | 'protected_identity' | 'left_region';

export type PersonMailAddress =
  | { send: true; name: string; email: string }
  | { send: false; reason: PersonMailSkipReason };

/**
 * Where a mail to a person may go. A protected identity gets no mail from us at all (the address is kept
 * in the directory, but a mail could reveal where they work); nor does a person who left the region.
 */
export function personMailAddress(person: MailablePerson): PersonMailAddress {
  if (person.protectedIdentity) return { send: false, reason: 'protected_identity' };
  if (person.leftAt) return { send: false, reason: 'left_region' };
  const email = person.email?.trim();
  if (!email) return { send: false, reason: 'no_email' };
  return { send: true, name: `${person.givenName} ${person.surname}`, email };
}
