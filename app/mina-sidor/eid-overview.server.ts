import type { AppLoadContext } from '@remix-run/node';
import { findEidHolder, listEidsOfPerson } from '../../db/eids';
import type { PersonEid } from '../../db/person-read-model';
import type { EndUser } from './end-user.server';

const dateOnly = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

export interface EidSummary {
  id: string;
  purpose: PersonEid['purpose'];
  state: PersonEid['state'];
  trustLevel: number;
  validFrom: string;
  validTo: string;
}

const summary = (eid: PersonEid): EidSummary => ({
  id: eid.id,
  purpose: eid.purpose,
  state: eid.state,
  trustLevel: eid.trustLevel,
  validFrom: dateOnly(eid.validFrom),
  validTo: dateOnly(eid.validTo),
});

/** What "Mina SITHS eID" and "Visa ogiltiga SITHS eID" show of the logged-in person, dates as the guide writes them. */
export async function eidOverview(context: AppLoadContext, user: EndUser) {
  const { cards, mobileDevices } = await listEidsOfPerson(context.db, user.personId);
  const organisation = (await findEidHolder(context.db, user.personId))?.organisation ?? '';
  const devices = mobileDevices.map((device) => ({
    id: device.id,
    name: device.name,
    state: device.state,
    trustLevel: device.trustLevel,
    organisation,
    validTo: dateOnly(device.validTo),
    eids: device.eids.map(summary),
  }));
  const personCards = cards.map((card) => ({
    id: card.id,
    serial: card.serial,
    kind: card.kind,
    state: card.state,
    trustLevel: card.trustLevel,
    organisation: card.organisation,
    validFrom: dateOnly(card.validFrom),
    validTo: dateOnly(card.validTo),
    eids: card.eids.map(summary),
  }));
  const loginDevice =
    user.loginMethod === 'mobile_siths' ? devices.find((d) => d.id === user.loginCredential) : undefined;
  const loginCard =
    user.loginMethod === 'card' ? personCards.find((c) => c.serial === user.loginCredential) : undefined;
  return {
    loggedInWith: loginDevice
      ? { kind: 'mobile' as const, label: loginDevice.name, organisation: loginDevice.organisation }
      : loginCard
        ? { kind: loginCard.kind, label: loginCard.serial, organisation: loginCard.organisation }
        : { kind: 'password' as const, label: user.displayName, organisation },
    devices,
    cards: personCards,
  };
}

export type EidOverview = Awaited<ReturnType<typeof eidOverview>>;
