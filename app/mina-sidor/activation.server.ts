import type { AppLoadContext } from '@remix-run/node';
import { findActivationOrder } from '../../db/card-lifecycle';
import { findCardForCertificates } from '../../db/eids';
import { findPersonById } from '../../db/persons';
import { eidOverview } from './eid-overview.server';
import type { EndUser } from './end-user.server';

const dateOnly = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The reserve card the user registered with (their session's card) and the SITHS eID its order will
 * fetch, as "Aktivera reservkort" shows them; undefined when the session was not opened with a card.
 */
export async function activationView(context: AppLoadContext, user: EndUser) {
  if (user.loginMethod !== 'card' || !user.loginCredential) return undefined;
  const card = await findCardForCertificates(context.db, user.loginCredential);
  if (card?.kind !== 'reserve' || card.holderPersonId !== user.personId) return undefined;
  const person = await findPersonById(context.db, user.personId);
  const order = await findActivationOrder(context.db, card.id);
  const organisation = card.holder?.organisation ?? '';
  return {
    card: {
      id: card.id,
      serial: card.serial,
      state: card.state,
      organisation,
      validFrom: dateOnly(card.validFrom),
      validTo: dateOnly(card.validTo),
    },
    eid: order
      ? {
          organisation,
          validTo: dateOnly(
            await context.pki.cardEidValidTo({ validTo: card.validTo, trustLevel: order.trustLevel }),
          ),
          trustLevel: order.trustLevel,
          serviceId: person?.personalIdentityNumber
            ? { kind: 'pnr' as const, value: person.personalIdentityNumber }
            : { kind: 'hsaId' as const, value: person?.hsaId ?? '' },
          upn: person?.email ?? `${person?.hsaId.toLowerCase()}@siths.test`,
          email: person?.email ?? null,
        }
      : null,
    hsaId: person?.hsaId ?? '',
    issued: card.state === 'active' ? await issuedEid(context, user, card.serial) : null,
  };
}

/** The SITHS eID the activation wrote to the card, as the done page of the guide shows it. */
async function issuedEid(context: AppLoadContext, user: EndUser, serial: string) {
  const card = (await eidOverview(context, user)).cards.find((candidate) => candidate.serial === serial);
  const active = card?.eids.filter((eid) => eid.state === 'active') ?? [];
  const eid = active.find((candidate) => candidate.purpose === 'authentication') ?? active[0];
  if (!card || !eid) return null;
  const person = await findPersonById(context.db, user.personId);
  return {
    organisation: card.organisation,
    validFrom: eid.validFrom,
    validTo: eid.validTo,
    trustLevel: eid.trustLevel,
    hsaId: person?.hsaId ?? '',
    upn: person?.email ?? `${person?.hsaId.toLowerCase()}@siths.test`,
    email: person?.email ?? null,
  };
}

export type ActivationView = NonNullable<Awaited<ReturnType<typeof activationView>>>;
