import { describe, expect, it } from 'vitest';
import { jobSteps } from '../../protocol/jobs';
import { chooseReader } from './choose-reader';
import { type FakeCard, FakeReaders, withSlotKey } from './fake-readers';
import { happyTrail, type JobKit, READER, startJobKit } from './plan-test-kit';

const SERIAL = '9752269885719985027';
const PIN = '482913';
const RELYING_PARTY = 'https://minasidor.test.siths.se:443/oidc';

const ordinaryCard = async (): Promise<FakeCard> =>
  withSlotKey(await withSlotKey({ serial: SERIAL, pin: PIN, triesLeft: 3 }, '9a'), '9e');
const reserveCard = async (): Promise<FakeCard> =>
  withSlotKey({ serial: SERIAL, pin: PIN, triesLeft: 3 }, '9d');

async function answerPin(kit: JobKit, pin = PIN, previous?: string) {
  const prompt = await kit.nextPrompt(previous);
  expect(kit.prompts.submit(prompt.promptId, pin)).toBe('accepted');
  return prompt;
}

describe('authenticate job, login', () => {
  it('asks for PIN1 for the relying party, then signs sign_in with 9A: every step in order', async () => {
    const card = await ordinaryCard();
    const kit = startJobKit(card);
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'login' });
    expect(await kit.runner.offer(offer)).toEqual({ accepted: true });
    const prompt = await kit.nextPrompt();
    expect(prompt).toMatchObject({
      kind: 'pin',
      context: { kind: 'login', relyingParty: RELYING_PARTY },
      cardSerial: SERIAL,
      triesLeft: 3,
    });
    expect(kit.view.current().prompt).toMatchObject({
      lines: [`Jag legitimerar mig hos ${RELYING_PARTY}`],
      question: 'Ange pinkod för SITHS-kort (Legitimering)',
      label: 'Ange säkerhetskod (PIN1)',
      submitText: 'Legitimera',
    });
    kit.prompts.submit(prompt.promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    const expected = jobSteps.authenticate.filter(
      (step) => step !== 'card_registered' && step !== 'statement_signed',
    );
    expect(kit.trail(offer.jobId)).toEqual(happyTrail(expected));
    expect(kit.server.requests.map((request) => request.type)).toEqual(['sign_in']);
    expect(kit.server.signedWith('sign_in')).toEqual(card.certificates!['9a']);
    expect(kit.view.current().result).toEqual({ ok: true, text: 'Du är legitimerad' });
    expect(kit.logs.join('')).not.toContain(PIN);
  });

  it('signs with the transport key (9D) on a reserve card without 9A; Felkod 2004 fails challenge_signed', async () => {
    const card = await reserveCard();
    const kit = startJobKit(card);
    kit.server.refusals.sign_in = {
      code: 'reserve_card_not_activated',
      message: 'Du måste aktivera ditt Reservkort innan du kan logga in med det.',
    };
    const offer = kit.server.offer({ kind: 'authenticate' });
    await kit.runner.offer(offer);
    await answerPin(kit);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'reserve_card_not_activated' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'challenge_signed',
      status: 'failed',
      error: {
        code: 'reserve_card_not_activated',
        message: 'Du måste aktivera ditt Reservkort innan du kan logga in med det.',
      },
    });
    expect(kit.server.signedWith('sign_in')).toEqual(card.certificates!['9d']);
    expect(kit.view.current().result).toEqual({
      ok: false,
      text: 'Felkod 2004. Ej aktiverat reservkort. Du måste aktivera ditt reservkort innan du kan logga in med det: välj AKTIVERA DITT RESERVKORT på SITHS Mina sidor.',
    });
  });

  it('asks again after a wrong PIN and goes on with the right one', async () => {
    const kit = startJobKit(await ordinaryCard());
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'login' });
    await kit.runner.offer(offer);
    const first = await answerPin(kit, '000000');
    const second = await kit.nextPrompt(first.promptId);
    expect(second).toMatchObject({ retry: true, triesLeft: 2, context: { kind: 'login' } });
    kit.prompts.submit(second.promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.steps(offer.jobId).find((step) => step.status === 'failed')).toMatchObject({
      step: 'card_verified',
      error: { code: 'wrong_pin' },
      card: { pinTriesLeft: 2 },
    });
  });

  it('fails at once, before any card work, without a challenge', async () => {
    const kit = startJobKit(await ordinaryCard());
    const offer = kit.server.offer({ kind: 'authenticate', challenge: undefined });
    await kit.runner.offer(offer);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'internal' } });
    expect(kit.readers.operations).toEqual([]);
  });
});

describe('authenticate job, PIN blocked', () => {
  it('after the last wrong PIN, proves the card once with 9E (no PIN) before failing pin_blocked', async () => {
    const card = await ordinaryCard();
    card.triesLeft = 1;
    const kit = startJobKit(card);
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'login' });
    await kit.runner.offer(offer);
    await answerPin(kit, '135790');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'pin_blocked' } });
    expect(kit.server.requests.map((request) => request.type)).toEqual(['prove_card']);
    expect(kit.server.signedWith('prove_card')).toEqual(card.certificates!['9e']);
    expect(kit.readers.operations.filter((operation) => operation.startsWith('sign'))).toEqual(['sign 9e']);
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'card_verified',
      status: 'failed',
      error: { code: 'pin_blocked' },
      card: { pinTriesLeft: 0 },
    });
    expect(JSON.stringify(kit.server.requests)).not.toContain('135790');
  });

  it('with the PIN already blocked, proves the card with 9E and asks for no PIN', async () => {
    const card = await ordinaryCard();
    card.triesLeft = 0;
    const kit = startJobKit(card);
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'login' });
    await kit.runner.offer(offer);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'pin_blocked' } });
    expect(kit.server.requests.map((request) => request.type)).toEqual(['prove_card']);
    expect(kit.server.signedWith('prove_card')).toEqual(card.certificates!['9e']);
    expect(kit.readers.pinsTried).toEqual([]);
  });

  it('fails pin_blocked all the same when the server refuses the proof or the card has no 9E', async () => {
    const refused = startJobKit(await ordinaryCard().then((card) => ({ ...card, triesLeft: 0 })));
    refused.server.refusals.prove_card = { code: 'certificate_rejected', message: 'Kortet godtas inte.' };
    const first = refused.server.offer({ kind: 'authenticate', purpose: 'login' });
    await refused.runner.offer(first);
    expect(await refused.outcome(first.jobId)).toMatchObject({ error: { code: 'pin_blocked' } });
    expect(refused.server.requests).toHaveLength(1);

    const reserve = startJobKit({ ...(await reserveCard()), triesLeft: 0 });
    const second = reserve.server.offer({ kind: 'authenticate', purpose: 'reserve_registration' });
    await reserve.runner.offer(second);
    expect(await reserve.outcome(second.jobId)).toMatchObject({ error: { code: 'pin_blocked' } });
    expect(reserve.server.requests).toEqual([]);
  });
});

describe('authenticate job, reserve card registration', () => {
  it('registers with 9D after the envelope PIN, then logs in with 9D after PIN1 again', async () => {
    const card = await reserveCard();
    const kit = startJobKit(card);
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'reserve_registration' });
    await kit.runner.offer(offer);
    const registration = await answerPin(kit);
    expect(registration.kind === 'pin' && registration.context).toEqual({ kind: 'registration' });
    const login = await kit.nextPrompt(registration.promptId);
    expect(login.kind === 'pin' && login.context).toEqual({ kind: 'login', relyingParty: RELYING_PARTY });
    kit.prompts.submit(login.promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(offer.jobId)).toEqual(
      happyTrail([
        'reader_found',
        'card_present',
        'card_read',
        'waiting_for_user',
        'card_verified',
        'card_registered',
        'waiting_for_user',
        'card_verified',
        'challenge_signed',
      ]),
    );
    expect(kit.server.requests.map((request) => request.type)).toEqual(['register_card', 'sign_in']);
    expect(kit.server.signedWith('register_card')).toEqual(card.certificates!['9d']);
    expect(kit.server.signedWith('sign_in')).toEqual(card.certificates!['9d']);
  });

  it("shows the guide's registration texts with the card serial", async () => {
    const kit = startJobKit(await reserveCard());
    await kit.runner.offer(kit.server.offer({ kind: 'authenticate', purpose: 'reserve_registration' }));
    await kit.nextPrompt();
    expect(kit.view.current().prompt).toMatchObject({
      kind: 'pin',
      cardSerial: SERIAL,
      title: 'Ditt kort behöver registreras',
      lines: [
        'Ditt SITHS-kort behöver registreras för att kunna användas. Vänligen legitimera dig genom att ange din personliga legitimeringskod för att utföra registreringen.',
      ],
      question: 'Ange pinkod för SITHS-kort (Legitimering)',
      label: 'Ange säkerhetskod (PIN1)',
      submitText: 'Legitimera',
    });
  });

  it('fails card_registered with Felkod 2006 when the server has no order, and asks nothing more', async () => {
    const kit = startJobKit(await reserveCard());
    kit.server.refusals.register_card = { code: 'no_eid_order', message: 'Beställning av SITHS eID saknas.' };
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'reserve_registration' });
    await kit.runner.offer(offer);
    await answerPin(kit);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'no_eid_order' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'card_registered',
      status: 'failed',
      error: { code: 'no_eid_order' },
    });
    expect(kit.prompts.current()).toBeUndefined();
    expect(kit.view.current().result?.text).toBe(
      'Felkod 2006. Beställning av SITHS eID saknas. Kontakta din chef eller kontaktperson på enheten.',
    );
  });
});

describe('choosing the card for a login that names none', () => {
  const offer = {
    jobId: crypto.randomUUID(),
    lastSequence: 0,
    stepTimeoutMs: 1_000,
    userPromptTimeoutMs: 1_000,
  };

  it('takes the only card whose PIN is not blocked', async () => {
    const readers = new FakeReaders();
    readers.addReader('A', { serial: '9752000000000000001', pin: PIN, triesLeft: 0 });
    readers.addReader('B', { serial: '9752000000000000002', pin: PIN, triesLeft: 2 });
    expect(await chooseReader({ ...offer, kind: 'authenticate' }, readers)).toBe('B');
  });

  it('refuses with a clear message when several cards could be meant', async () => {
    const readers = new FakeReaders();
    readers.addReader('A', { serial: '9752000000000000001', pin: PIN, triesLeft: 3 });
    readers.addReader('B', { serial: '9752000000000000002', pin: PIN, triesLeft: 3 });
    const message = 'Flera kort i läsarna. Ta ut de kort du inte ska använda.';
    await expect(chooseReader({ ...offer, kind: 'authenticate' }, readers)).rejects.toMatchObject({
      code: 'several_cards',
      message,
    });
    await expect(chooseReader({ ...offer, kind: 'unlock' }, readers)).rejects.toMatchObject({ message });
  });

  it('keeps the named card rule when the offer has a serial', async () => {
    const readers = new FakeReaders();
    readers.addReader('A', { serial: '9752000000000000001', pin: PIN, triesLeft: 0 });
    readers.addReader(READER, { serial: SERIAL, pin: PIN, triesLeft: 3 });
    const named = { ...offer, kind: 'authenticate' as const, cardSerial: '9752000000000000001' };
    expect(await chooseReader(named, readers)).toBe('A');
  });
});
