import type { AppLoadContext } from '@remix-run/node';
import type { Principal } from '~/auth/permissions';
import { type DecisionToSign, signerOf } from '~/decisions/decision-signing.server';
import { roleGrantStatement, type StatementPerson } from '~/decisions/statements';
import { translator } from '~/i18n/catalogue';
import { type RoleGrant, roleGrantSigningSubject } from '../../db/administration';
import type { StaffRole } from '../../protocol/domain-values';
import { roleLabels } from './forms';

/** Statements are Swedish whatever the page's language. */
const swedish = translator('sv');

/**
 * The grant of a role as a decision the granter signs: "Jag, <granter>, ger <grantee> rollen <role> för <unit or
 * hela regionen> den <time>." The signing and the confirm make the same decision from the same form fields, so
 * a signature of another grantee, role or unit is another statement and refused.
 */
export async function roleGrantDecision(
  context: AppLoadContext,
  principal: Principal,
  grant: RoleGrant & { role: StaffRole },
  facts: { grantee: StatementPerson; unitName: string | null },
): Promise<DecisionToSign> {
  // Without a person the granter cannot sign at all: startDecisionSigning refuses (no_person) before any statement.
  const signer = (await signerOf(context, principal)) ?? { name: principal.displayName, hsaId: '' };
  return {
    ...roleGrantSigningSubject(grant),
    statementFor: (orderId, at) =>
      roleGrantStatement(
        {
          signer,
          grantee: facts.grantee,
          role: swedish(roleLabels[grant.role]),
          scope: facts.unitName ?? swedish('administration.grant.wholeRegion'),
        },
        orderId,
        at,
      ),
  };
}
