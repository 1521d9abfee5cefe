/**
 * The statements deciders sign: short Swedish sentences anyone can read, in the portal's language whatever the
 * page's (a signed text is evidence, not interface). Each ends with the time and the signing order's id as
 * reference, so a signature is worth nothing for any other decision. The same facts, order id and time always
 * give the same text: the deciding page makes it again and compares it with what was signed.
 */

export interface StatementPerson {
  name: string;
  hsaId: string;
}

const stockholmMinute = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** 2026-12-03 06:52, Swedish time: how the statement names the moment of signing. */
export function statementTime(at: Date): string {
  return stockholmMinute.format(at).replace(',', '');
}

const who = (person: StatementPerson) => `${person.name} ${person.hsaId}`;

const finish = (sentence: string, orderId: string) =>
  `${sentence.normalize('NFC')}\nReferens: ${orderId}`.normalize('NFC');

export type RevokedThing =
  | { kind: 'card'; cardSerial: string }
  | { kind: 'eid'; certificateSerial: string; on: string };

export function revocationStatement(
  facts: { signer: StatementPerson; holder: StatementPerson; revoked: RevokedThing; reason: string },
  orderId: string,
  at: Date,
): string {
  const thing =
    facts.revoked.kind === 'card'
      ? `SITHS-kort ${facts.revoked.cardSerial}`
      : `SITHS eID med certifikatserienummer ${facts.revoked.certificateSerial} (${facts.revoked.on})`;
  return finish(
    `Jag, ${who(facts.signer)}, spärrar ${thing} hos ${who(facts.holder)} den ${statementTime(at)}, orsak: ${facts.reason}.`,
    orderId,
  );
}

export function secondApprovalStatement(
  facts: {
    signer: StatementPerson;
    person: StatementPerson;
    orderId: string;
    orderType: string;
    unit: string;
  },
  orderId: string,
  at: Date,
): string {
  return finish(
    `Jag, ${who(facts.signer)}, godkänner som andra ID-administratör beställning ${facts.orderId} (${facts.orderType}) åt ${who(facts.person)} vid ${facts.unit} den ${statementTime(at)}.`,
    orderId,
  );
}

export function roleGrantStatement(
  facts: { signer: StatementPerson; grantee: StatementPerson; role: string; scope: string },
  orderId: string,
  at: Date,
): string {
  return finish(
    `Jag, ${who(facts.signer)}, ger ${who(facts.grantee)} rollen ${facts.role} för ${facts.scope} den ${statementTime(at)}.`,
    orderId,
  );
}
