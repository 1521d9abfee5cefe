import { json, type LoaderFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { requireEndUser } from '~/mina-sidor/end-user.server';
import { recordFoldedRefusal } from '../../db/audit';

/** GET: `EnrolmentStatus` JSON (waiting, done with the device name, expired) of the user's own enrolment. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireEndUser(request, context);
  const enrolmentId = z.uuid().safeParse(params.enrolmentId);
  const status = enrolmentId.success
    ? await context.mobileSiths.enrolmentStatus(context.db, enrolmentId.data, user, new Date())
    : undefined;
  if (!status) {
    await recordFoldedRefusal(context.db, {
      actorUserId: user.userId,
      actorLabel: user.displayName,
      action: 'mobile_enrol_status',
      objectType: 'mobile_enrolment',
      objectId: enrolmentId.success ? enrolmentId.data : null,
      detail: { reason: 'not_own_enrolment', personId: user.personId, clientAddress: context.clientAddress },
    });
    const t = translator(await localeOf(request));
    return json({ message: t('error.notFound') }, { status: 404, headers: { 'Cache-Control': 'no-store' } });
  }
  return json(status, { headers: { 'Cache-Control': 'no-store' } });
}
