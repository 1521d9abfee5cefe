import type { LoaderFunctionArgs } from '@remix-run/node';
import { json } from '@remix-run/node';
import { canAccessUnit, hasAnyRole, unitScopedRoles } from '~/auth/permissions';
import { requireStaff } from '~/auth/staff.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { recordAudit } from '../../db/audit';
import { findSignedDecision } from '../../db/signed-decisions';

const regionWideReaders = ['id_admin', 'system_admin', 'support'] as const;
const decisionFile = /^([0-9a-f-]{36})\.(p7s|txt)$/;

/**
 * A signed decision for checking outside siths-desk: `<id>.p7s` (CMS SignedData, detached, DER), `<id>.txt`
 * (the statement's exact bytes) and `ca-kedja.pem` (the CA chain to verify against):
 * `openssl cms -verify -binary -inform DER -in <id>.p7s -content <id>.txt -CAfile ca-kedja.pem -purpose any`.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireStaff(request, context);
  const t = translator(await localeOf(request));
  const file = params.file ?? '';
  if (file === 'ca-kedja.pem') {
    return new Response(await context.signedStatements.caChainPem(), {
      headers: {
        'Content-Type': 'application/x-pem-file',
        'Content-Disposition': 'attachment; filename="ca-kedja.pem"',
      },
    });
  }
  const match = decisionFile.exec(file);
  const decision = match?.[1] ? await findSignedDecision(context.db, match[1]) : undefined;
  const mayRead =
    decision &&
    (hasAnyRole(principal, regionWideReaders) ||
      (decision.unitId !== null && canAccessUnit(principal, decision.unitId, unitScopedRoles)));
  if (!match || !decision || !mayRead) {
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      action: 'decision_download',
      objectType: 'signed_decision',
      objectId: match?.[1] ?? null,
      outcome: 'refused',
      detail: { reason: decision ? 'other_unit' : 'not_found', file: file.slice(0, 80) },
    });
    return decision
      ? json({ message: t('error.forbidden') }, { status: 403 })
      : json({ message: t('error.notFound') }, { status: 404 });
  }
  if (match[2] === 'txt') {
    return new Response(decision.statement, {
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="${decision.id}.txt"`,
      },
    });
  }
  const cms = context.signedStatements.detachedCms({
    statement: decision.statement,
    signature: Buffer.from(decision.signature, 'base64'),
    certificateDer: Buffer.from(decision.certificateDer, 'base64'),
    chainDer: [],
  });
  return new Response(new Uint8Array(cms), {
    headers: {
      'Content-Type': 'application/pkcs7-signature',
      'Content-Disposition': `attachment; filename="${decision.id}.p7s"`,
    },
  });
}
