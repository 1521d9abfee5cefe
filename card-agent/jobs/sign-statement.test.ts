import { constants, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CardExchange } from '../../protocol/card-exchange';
import type { KeyAlgorithm } from '../piv/piv-constants';
import { type FakeCard, withSlotKey } from './fake-readers';
import { happyTrail, type JobKit, READER, startJobKit } from './plan-test-kit';

const SERIAL = '9752269885719985027';
const PIN = '482913';
const STATEMENT =
  'Jag, Åsa Öberg, godkänner beställningen av reservkort (tillitsnivå 3) för Per Ström.\n' +
  'Referens: 0f6b1d7e-3c55-4a0e-9c1b-5d2f8f8f2a11';

/** An ordinary card: authentication (9A), signature (9C, RSA 2048 as SITHS cards have it) and 9E keys. */
async function decisionCard(signatureKey: KeyAlgorithm = 'RSA2048'): Promise<FakeCard> {
  const card: FakeCard = { serial: SERIAL, pin: PIN, triesLeft: 3 };
  await withSlotKey(card, '9a');
  await withSlotKey(card, '9c', signatureKey);
  return withSlotKey(card, '9e');
}

function signDecision(kit: JobKit, statement = STATEMENT) {
  return kit.server.offer({ kind: 'authenticate', purpose: 'sign_decision', statement });
}

function signedStatement(kit: JobKit) {
  const request = kit.server.requests.find((candidate) => candidate.type === 'sign_statement');
  return request as Extract<CardExchange, { type: 'sign_statement' }> | undefined;
}

const signOperations = (kit: JobKit) =>
  kit.readers.operations.filter((operation) => operation.startsWith('sign') || operation === 'verifyPin');

describe('authenticate job, signing a decision', () => {
  it('shows the statement with Underteckna, verifies the PIN right before 9C signs the statement bytes (RSA PKCS#1 v1.5)', async () => {
    const card = await decisionCard();
    const kit = startJobKit(card);
    const offer = signDecision(kit);
    expect(await kit.runner.offer(offer)).toEqual({ accepted: true });
    const prompt = await kit.nextPrompt();
    expect(prompt).toMatchObject({
      kind: 'pin',
      context: { kind: 'signature', statement: STATEMENT },
      cardSerial: SERIAL,
      triesLeft: 3,
    });
    expect(kit.view.current().job?.title).toBe('Underskrift med SITHS-kort');
    expect(kit.view.current().prompt).toMatchObject({
      title: 'Underteckna',
      lines: ['Jag undertecknar:', ...STATEMENT.split('\n')],
      question: 'Ange pinkod för SITHS-kort (Underskrift)',
      label: 'Ange underskriftskod (samma som PIN1)',
      submitText: 'Underteckna',
    });
    // The certificate is read with the card, before the PIN: nothing comes between VERIFY and the signature.
    expect(kit.readers.operations).toContain('readCertificate 9c');
    kit.prompts.submit(prompt.promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(kit.trail(offer.jobId)).toEqual(
      happyTrail([
        'reader_found',
        'card_present',
        'card_read',
        'waiting_for_user',
        'card_verified',
        'statement_signed',
      ]),
    );
    const afterPin = kit.readers.operations.slice(kit.readers.operations.indexOf('verifyPin'));
    expect(afterPin.slice(0, 2)).toEqual(['verifyPin', 'sign 9c']);
    expect(kit.server.requests.map((request) => request.type)).toEqual(['sign_statement']);
    const request = signedStatement(kit)!;
    expect(Buffer.from(request.certificate, 'base64')).toEqual(card.certificates!['9c']);
    const publicKey = new X509Certificate(card.certificates!['9c']!).publicKey;
    const signature = Buffer.from(request.signature, 'base64');
    expect(signature).toHaveLength(256);
    const rsa = { key: publicKey, padding: constants.RSA_PKCS1_PADDING };
    expect(verify('sha256', Buffer.from(STATEMENT, 'utf8'), rsa, signature)).toBe(true);
    expect(kit.view.current().result).toEqual({ ok: true, text: 'Beslutet är undertecknat' });
    expect(kit.logs.join('')).not.toContain(PIN);
    expect(JSON.stringify(kit.server.requests)).not.toContain(PIN);
  });

  it('sends a P-256 signature key’s signature as r || s (IEEE P1363)', async () => {
    const card = await decisionCard('ECCP256');
    const kit = startJobKit(card);
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    kit.prompts.submit((await kit.nextPrompt()).promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    const signature = Buffer.from(signedStatement(kit)!.signature, 'base64');
    expect(signature).toHaveLength(64);
    const publicKey = new X509Certificate(card.certificates!['9c']!).publicKey;
    const p1363 = { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
    expect(verify('sha256', Buffer.from(STATEMENT, 'utf8'), p1363, signature)).toBe(true);
  });

  it('asks again after a wrong PIN, then VERIFY and the 9C signature follow each other', async () => {
    const kit = startJobKit(await decisionCard());
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    const first = await kit.nextPrompt();
    kit.prompts.submit(first.promptId, '000000');
    const second = await kit.nextPrompt(first.promptId);
    expect(second).toMatchObject({ retry: true, triesLeft: 2, context: { kind: 'signature' } });
    expect(kit.view.current().prompt).toMatchObject({
      notice: 'Fel PIN-kod. Du har 2 försök kvar.',
      submitText: 'Underteckna',
    });
    kit.prompts.submit(second.promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(signOperations(kit)).toEqual(['verifyPin', 'verifyPin', 'sign 9c']);
    expect(kit.steps(offer.jobId).find((step) => step.status === 'failed')).toMatchObject({
      step: 'card_verified',
      error: { code: 'wrong_pin' },
      card: { pinTriesLeft: 2 },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'statement_signed',
      card: { pinTriesLeft: 3 },
    });
  });

  it('after the last wrong PIN, proves the card with 9E and fails pin_blocked without signing', async () => {
    const card = await decisionCard();
    card.triesLeft = 1;
    const kit = startJobKit(card);
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    kit.prompts.submit((await kit.nextPrompt()).promptId, '135790');
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'pin_blocked' } });
    expect(kit.server.requests.map((request) => request.type)).toEqual(['prove_card']);
    expect(signOperations(kit)).toEqual(['verifyPin', 'sign 9e']);
    expect(kit.view.current().result).toEqual({
      ok: false,
      text: 'PIN-koden är spärrad. Lås upp kortet på SITHS Mina sidor eller tryck på Få hjälp av support.',
    });
  });

  it('fails card_removed when the card is pulled while the statement is shown, and no PIN reaches a card', async () => {
    const kit = startJobKit(await decisionCard());
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    await kit.nextPrompt();
    kit.readers.remove(READER);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'card_removed' },
    });
    expect(kit.readers.pinsTried).toEqual([]);
    expect(kit.server.requests).toEqual([]);
    expect(kit.view.current().result?.text).toBe('Kortet togs ut ur läsaren. Sätt i kortet och försök igen.');
  });

  it('fails statement_signed with the server’s refusal (a card of another person)', async () => {
    const kit = startJobKit(await decisionCard());
    kit.server.refusals.sign_statement = {
      code: 'wrong_card',
      message: 'Kortet tillhör inte den som ska underteckna beslutet.',
    };
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    kit.prompts.submit((await kit.nextPrompt()).promptId, PIN);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'wrong_card' } });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({
      step: 'statement_signed',
      status: 'failed',
      error: { code: 'wrong_card', message: 'Kortet tillhör inte den som ska underteckna beslutet.' },
    });
    expect(kit.view.current().result).toEqual({
      ok: false,
      text: 'Fel kort i läsaren. Sätt i det SITHS-kort som ärendet gäller och försök igen.',
    });
  });

  it('fails card_read, asking for no PIN, on a card without a signature certificate', async () => {
    const card = await decisionCard();
    delete card.certificates!['9c'];
    const kit = startJobKit(card);
    const offer = signDecision(kit);
    await kit.runner.offer(offer);
    expect(await kit.outcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'card_not_active' },
    });
    expect(kit.steps(offer.jobId).at(-1)).toMatchObject({ step: 'card_read', status: 'failed' });
    expect(kit.readers.pinsTried).toEqual([]);
  });

  it('runs no card work for an offer without a statement, and refuses one whose statement is not one text', async () => {
    const kit = startJobKit(await decisionCard());
    const offer = kit.server.offer({ kind: 'authenticate', purpose: 'sign_decision' });
    await kit.runner.offer(offer);
    expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'failed', error: { code: 'internal' } });
    expect(kit.readers.operations).toEqual([]);
    // "å" as "a" and a combining ring (not NFC), a right-to-left override: shown otherwise than signed.
    for (const statement of ['Beslut om a\u030Atgärd', 'Godkänner \u202Efdp.exe']) {
      expect(await kit.runner.offer(signDecision(kit, statement))).toMatchObject({
        accepted: false,
        error: { code: 'internal' },
      });
    }
  });
});
