import type { CardSession } from './card-access';
import { openCard } from './card-check';
import { proveWithSlot, requireCertificate, requireChallenge } from './card-proof';
import { JobFailure } from './job-errors';
import type { JobContext } from './job-plans';

/**
 * "Lås upp kort": the card proves itself with its card-authentication key (9E, no PIN needed), the
 * server answers with the card's PUK, the user chooses a new PIN and RESET RETRY COUNTER sets it.
 * The PUK lives only in this function's variables for the length of the job.
 */
export async function runUnlock(job: JobContext): Promise<void> {
  const { execution, prompts } = job;
  requireChallenge(execution.offer);
  const session = await openCard(job);
  try {
    const puk = await proveCard(job, session);
    const { jobId, assistedBy } = execution.offer;
    // The code policy cannot refuse the old PIN here: the user forgot it (or it is blocked), so nobody knows it.
    const newPin = await execution.step(
      'waiting_for_user',
      (signal) =>
        prompts.askNewPin(
          { jobId, cardSerial: execution.card.cardSerial, ...(assistedBy ? { assistedBy } : {}) },
          signal,
        ),
      { timeoutMs: execution.offer.userPromptTimeoutMs },
    );
    await execution.step('pin_set', async (_signal, committed) => {
      await session.unblockPin(puk, newPin);
      // The card took the new PIN when it answered RESET RETRY COUNTER: a card pulled (or failing) right
      // after must not turn a done unlock into a failed one, with the server still showing the card locked.
      committed();
      const triesLeft = await session.pinTriesLeft().catch(() => undefined);
      execution.updateCard({ pinTriesLeft: triesLeft });
    });
  } finally {
    await session.close().catch(() => {});
  }
}

/** card_proven: 9E signs the challenge; the answer is the PUK. */
async function proveCard(job: JobContext, session: CardSession): Promise<string> {
  const { execution, exchange } = job;
  return execution.step('card_proven', async () => {
    const certificate = await requireCertificate(session, '9e');
    const proof = await proveWithSlot(session, execution.offer, 'prove_card', '9e', certificate);
    const answer = await exchange({ type: 'prove_card', jobId: execution.offer.jobId, ...proof });
    if (!answer.puk) throw new JobFailure('internal', 'the server answered the card proof without a PUK');
    return answer.puk;
  });
}
