import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jobSteps } from '../../protocol/jobs';
import { encodePin } from '../piv/pin';
import { type FakeCard, withSlotKey } from './fake-readers';
import { happyTrail, type JobKit, READER, startJobKit } from './plan-test-kit';

const SERIAL = '9752316495727304824';
const ENVELOPE_PIN = '30571946';
const MANAGEMENT_KEY = randomBytes(16);

/** A reserve card straight from its envelope: a transport key and certificate in 9D, nothing else. */
async function reserveCard(): Promise<FakeCard> {
  const card: FakeCard = {
    serial: SERIAL,
    pin: ENVELOPE_PIN,
    triesLeft: 3,
    managementKey: { algorithm: 'AES128', key: Buffer.from(MANAGEMENT_KEY) },
  };
  return withSlotKey(card, '9d');
}

async function activation(card: FakeCard, prepare: (kit: JobKit) => void = () => {}) {
  const kit = startJobKit(card);
  kit.server.secrets = { managementKey: { algorithm: 'AES128', key: MANAGEMENT_KEY.toString('hex') } };
  prepare(kit);
  const offer = kit.server.offer({ kind: 'activate', cardSerial: SERIAL });
  expect(await kit.runner.offer(offer)).toEqual({ accepted: true });
  return { kit, offer };
}

async function enterEnvelopePin(kit: JobKit, pin = ENVELOPE_PIN, previous?: string) {
  const prompt = await kit.nextPrompt(previous);
  expect(kit.prompts.submit(prompt.promptId, pin)).toBe('accepted');
  return prompt;
}

const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('hex');

describe('activate job', () => {
  it('generates keys in 9A, 9C and 9E, writes the issued certificates and confirms them: every step in order', async () => {
    const card = await reserveCard();
    const transport = { key: card.keys!['9d'], certificate: card.certificates!['9d'] };
    const { kit, offer } = await activation(card);
    const prompt = await enterEnvelopePin(kit);
    expect(prompt).toMatchObject({ kind: 'pin', context: { kind: 'activation' }, cardSerial: SERIAL });
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(offer.jobId)).toEqual(happyTrail(jobSteps.activate));
    expect(kit.server.requests.map((request) => request.type)).toEqual([
      'prove_card',
      'request_certificates',
      'confirm_certificates',
    ]);
    expect(kit.server.signedWith('prove_card')).toEqual(transport.certificate);
    const { issued } = kit.server;
    expect(card.certificates).toMatchObject({
      '9a': issued.authentication,
      '9c': issued.signature,
      '9e': issued.cardAuthentication,
    });
    for (const slot of ['9a', '9c', '9e'] as const) expect(card.keys?.[slot]).toBeDefined();
    expect(new X509Certificate(card.certificates!['9a']!).subject).toContain('authentication');
    expect(card.keys!['9d']).toBe(transport.key);
    expect(card.certificates!['9d']).toBe(transport.certificate);
    const confirm = kit.server.requests.at(-1);
    expect(confirm).toMatchObject({
      type: 'confirm_certificates',
      fingerprints: {
        authentication: sha256(issued.authentication!),
        signature: sha256(issued.signature!),
        cardAuthentication: sha256(issued.cardAuthentication!),
      },
    });
    expect(kit.view.current().result).toEqual({ ok: true, text: 'Ditt reservkort är nu klart att använda' });
  });

  it('asks for the envelope code with the activation texts, and again after a wrong one', async () => {
    const { kit, offer } = await activation(await reserveCard());
    const first = await kit.nextPrompt();
    expect(kit.view.current().prompt).toMatchObject({
      title: 'Aktivera reservkort',
      label: 'Ange säkerhetskod (PIN1)',
      submitText: 'Aktivera',
    });
    kit.prompts.submit(first.promptId, '000000');
    await enterEnvelopePin(kit, ENVELOPE_PIN, first.promptId);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.steps(offer.jobId).filter((step) => step.status === 'failed')).toMatchObject([
      { step: 'card_verified', error: { code: 'wrong_pin' } },
    ]);
  });

  it("fails card_proven with the server's Felkod 2006 and never touches the card's keys", async () => {
    const card = await reserveCard();
    const { kit, offer } = await activation(card, (kit) => {
      kit.server.refusals.prove_card = { code: 'no_eid_order', message: 'Beställning av SITHS eID saknas.' };
    });
    await enterEnvelopePin(kit);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'no_eid_order' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'card_proven',
      status: 'failed',
      error: { code: 'no_eid_order' },
    });
    expect(kit.readers.operations).not.toContain('authenticateManagementKey');
    expect(Object.keys(card.keys!)).toEqual(['9d']);
  });

  it('refuses certificates issued for other keys and writes nothing', async () => {
    const card = await reserveCard();
    const { kit, offer } = await activation(card, (kit) => {
      kit.server.swapKeys = true;
    });
    await enterEnvelopePin(kit);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'certificate_rejected' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'certificates_issued', status: 'failed' });
    expect(kit.readers.operations.filter((operation) => operation.startsWith('putCertificate'))).toEqual([]);
  });

  it('fails cleanly with card_removed when the card is pulled mid-activation; a new job starts over and succeeds', async () => {
    const card = await reserveCard();
    const transport = card.certificates!['9d'];
    const { kit, offer } = await activation(card, (kit) => {
      kit.server.beforeAnswer = (request) => {
        if (request.type === 'request_certificates') kit.readers.remove(READER);
      };
    });
    await enterEnvelopePin(kit);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'card_removed' },
    });
    const failed = kit.steps(offer.jobId).filter((step) => step.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(['certificates_issued', 'certificates_written']).toContain(failed[0]!.step);
    expect(kit.view.current().result).toEqual({
      ok: false,
      text: 'Kortet togs ut ur läsaren. Sätt i kortet och försök igen.',
    });
    expect(card.certificates!['9d']).toBe(transport);

    kit.server.beforeAnswer = () => {};
    kit.readers.insert(READER, card);
    const again = kit.server.offer({ kind: 'activate', cardSerial: SERIAL });
    expect(await kit.runner.offer(again)).toEqual({ accepted: true });
    await enterEnvelopePin(kit);
    expect(await kit.outcome(again.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(again.jobId)).toEqual(happyTrail(jobSteps.activate));
    expect(card.certificates!['9d']).toBe(transport);
  });

  it('never lets the management key or the envelope PIN into a report, a log line or the view', async () => {
    const { kit, offer } = await activation(await reserveCard());
    await enterEnvelopePin(kit);
    await kit.outcome(offer.jobId);
    const seen = [
      JSON.stringify(kit.reports),
      kit.logs.join('\n'),
      JSON.stringify(kit.view.current()),
    ].join();
    expect(kit.logs.join('')).toContain('job finished');
    for (const form of [
      MANAGEMENT_KEY.toString('hex'),
      MANAGEMENT_KEY.toString('hex').toUpperCase(),
      MANAGEMENT_KEY.toString('base64'),
      ENVELOPE_PIN,
      encodePin(ENVELOPE_PIN).toString('hex'),
    ])
      expect(seen).not.toContain(form);
  });
});
