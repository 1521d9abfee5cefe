import { NoCardError, ReaderNotFoundError } from '../pcsc/errors';
import type { CardSession } from './card-access';
import { proveBlockedCard } from './card-proof';
import { JobFailure, toJobFailure } from './job-errors';
import type { JobContext } from './job-plans';
import type { PinContext } from './pin-prompts';

/** "Läs kortet och verifiera PIN": finds the card, reads it, asks for PIN1 and verifies it. */
export async function runCardCheck(job: JobContext): Promise<void> {
  const session = await openCard(job);
  try {
    await verifyPinWithUser(job, session, { kind: 'card_check' });
  } finally {
    await session.close().catch(() => {});
  }
}

/** reader_found, card_present, card_read: shared by every kind that works on a card. */
export async function openCard(job: JobContext): Promise<CardSession> {
  return (await openCardReading(job, async () => undefined)).session;
}

/**
 * openCard, with `read` in card_read: what a job needs from the card before the PIN is asked for (the
 * signature certificate, which may not come between the PIN and the signature).
 */
export async function openCardReading<T>(
  job: JobContext,
  read: (session: CardSession) => Promise<T>,
): Promise<{ session: CardSession; read: T }> {
  const { execution, cards, readerName } = job;
  await execution.step('reader_found', async () => {
    if (!cards.readers().some((reader) => reader.name === readerName))
      throw new ReaderNotFoundError(readerName);
    execution.updateCard({ readerName });
  });
  await execution.step('card_present', async () => {
    const reader = cards.readers().find((candidate) => candidate.name === readerName);
    if (!reader?.cardPresent) throw new NoCardError(readerName);
    execution.updateCard({ atr: reader.atr });
    execution.watchCard(cards, readerName);
  });
  return execution.step('card_read', async (signal) => {
    const session = await cards.openSession(readerName);
    try {
      signal.throwIfAborted();
      const { serial } = await session.readCardSerial();
      execution.updateCard({ cardSerial: serial });
      const expected = execution.offer.cardSerial;
      if (expected && serial !== expected)
        throw new JobFailure('wrong_card', `the card in the reader is ${serial}, not ${expected}`);
      execution.updateCard({ pinTriesLeft: await session.pinTriesLeft() });
      return { session, read: await read(session) };
    } catch (error) {
      await session.close().catch(() => {});
      throw error;
    }
  });
}

/**
 * waiting_for_user, card_verified; asked again after a wrong PIN while tries remain. A PIN found blocked
 * (before asking, or by the last wrong try) has the card prove itself with 9E before the job fails.
 */
export async function verifyPinWithUser(
  job: JobContext,
  session: CardSession,
  context: PinContext,
): Promise<void> {
  const { execution, prompts } = job;
  for (let retry = false; ; retry = true) {
    const pin = await execution.step(
      'waiting_for_user',
      async (signal) => {
        const triesLeft = execution.card.pinTriesLeft;
        if (triesLeft === 0) {
          await proveBlockedCard(job, session);
          throw new JobFailure('pin_blocked', 'the PIN is blocked', { pinTriesLeft: 0 });
        }
        const { jobId } = execution.offer;
        const cardSerial = execution.card.cardSerial;
        return prompts.askPin({ jobId, context, cardSerial, triesLeft, retry }, signal);
      },
      { timeoutMs: execution.offer.userPromptTimeoutMs },
    );
    try {
      await execution.step('card_verified', async () => {
        await session.verifyPin(pin).catch(async (error: unknown) => {
          if (toJobFailure(error).code === 'pin_blocked') await proveBlockedCard(job, session);
          throw error;
        });
        // The signature key (9C) is PIN Always: nothing may come between this VERIFY and its signature.
        if (context.kind !== 'signature')
          execution.updateCard({ pinTriesLeft: await session.pinTriesLeft() });
      });
      return;
    } catch (error) {
      if (!(error instanceof JobFailure) || error.code !== 'wrong_pin') throw error;
    }
  }
}
