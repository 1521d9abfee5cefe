import type { PivSlot } from '../piv/piv-constants';
import type { CardSession } from './card-access';
import { openCard, verifyPinWithUser } from './card-check';
import { proveWithSlot, requireCertificate, requireChallenge } from './card-proof';
import { JobFailure } from './job-errors';
import type { JobContext } from './job-plans';
import { runSignStatement } from './sign-statement';

/**
 * A Mina sidor login with the card: PIN1, then the authentication key signs the server's challenge.
 * A reserve card that is to be activated first registers with its transport key (9D) and the envelope PIN.
 * A decision to sign (purpose sign_decision) is signed with the signature key instead: see sign-statement.ts.
 */
export async function runAuthenticate(job: JobContext): Promise<void> {
  const { offer } = job.execution;
  requireChallenge(offer);
  if (offer.purpose === 'sign_decision') return runSignStatement(job);
  if (!offer.relyingParty) throw new JobFailure('internal', 'the authenticate offer names no relying party');
  const login = { kind: 'login', relyingParty: offer.relyingParty } as const;
  const session = await openCard(job);
  try {
    if (offer.purpose === 'reserve_registration') {
      await verifyPinWithUser(job, session, { kind: 'registration' });
      await registerCard(job, session);
      await verifyPinWithUser(job, session, login);
      await signIn(job, session, '9d');
    } else {
      await verifyPinWithUser(job, session, login);
      await signIn(job, session);
    }
  } finally {
    await session.close().catch(() => {});
  }
}

/** card_registered: the transport certificate and a signature with its key, after the envelope PIN. */
async function registerCard(job: JobContext, session: CardSession): Promise<void> {
  const { execution, exchange } = job;
  await execution.step('card_registered', async () => {
    const certificate = await requireCertificate(session, '9d');
    const proof = await proveWithSlot(session, execution.offer, 'register_card', '9d', certificate);
    await exchange({ type: 'register_card', jobId: execution.offer.jobId, ...proof });
  });
}

/**
 * challenge_signed: with the authentication key (9A) or, on a reserve card not activated yet, with the
 * transport key (9D); the server decides whether that card may log in (Felkod 2004 when it may not).
 */
async function signIn(job: JobContext, session: CardSession, onlySlot?: PivSlot): Promise<void> {
  const { execution, exchange } = job;
  await execution.step('challenge_signed', async () => {
    const { slot, certificate } = onlySlot
      ? { slot: onlySlot, certificate: await requireCertificate(session, onlySlot) }
      : await authenticationCertificate(session);
    const proof = await proveWithSlot(session, execution.offer, 'sign_in', slot, certificate);
    await exchange({ type: 'sign_in', jobId: execution.offer.jobId, ...proof });
  });
}

async function authenticationCertificate(session: CardSession) {
  const authentication = await session.readCertificate('9a');
  if (authentication) return { slot: '9a' as const, certificate: authentication };
  const transport = await session.readCertificate('9d');
  if (transport) return { slot: '9d' as const, certificate: transport };
  throw new JobFailure('card_not_active', 'the card holds no authentication certificate');
}
