import { type ActionFunctionArgs, json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useLocation } from '@remix-run/react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { requireRole } from '~/auth/staff.server';
import {
  type ComputerAttempt,
  computerAdminRoles,
  mayAdministerComputers,
  readersByAgent,
  refuseComputerChange,
} from '~/computers/access.server';
import { ComputerTable } from '~/computers/computer-table';
import { CreatedEnrolmentCode, CreateEnrolmentCode, EnrolmentCodeTable } from '~/computers/enrolment-codes';
import { type ComputerStateChoice, computerStates, enrolmentCodeSchema } from '~/computers/forms';
import { computerRow, enrolmentCodeRow } from '~/computers/rows';
import { validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import {
  listComputers,
  listEnrolmentCodes,
  reportedAgentVersions,
  withdrawEnrolmentCode,
} from '../../db/agent-admin';
import { createEnrolmentCode, enrolmentCodeValidity, maxBatchSize } from '../../db/agent-enrolment';
import { recordAudit } from '../../db/audit';
import { agentVersionVerdict } from '../../protocol/agent-version';
import { nameProblem } from '../../protocol/safe-text';

export const meta: MetaFunction = () => [{ title: 'Datorer med SITHS eID-app – SITHS eID-portalen' }];

const pageSize = 50;
/** The server's limits on enrolment codes: the form offers and checks these. */
function codeLimits() {
  return {
    singleMs: enrolmentCodeValidity.singleMs,
    batchMaxMs: enrolmentCodeValidity.batchMaxMs,
    maxBatchSize,
  };
}

/** Text with control characters could never match a name (and PostgreSQL cannot take a NUL): no search. */
function searchTermOf(typed: string | null): string {
  const term = (typed ?? '').trim().slice(0, 100);
  return nameProblem(term) === 'unsafe_character' ? '' : term;
}

/** The list's search and filter from the URL; anything unreadable is the default, never an error. */
function listQueryOf(url: URL) {
  const state = url.searchParams.get('state');
  const page = Number(url.searchParams.get('page'));
  return {
    q: searchTermOf(url.searchParams.get('q')),
    state: (computerStates as readonly string[]).includes(state ?? '')
      ? (state as ComputerStateChoice)
      : 'all',
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'computers');
  const query = listQueryOf(new URL(request.url));
  const outdatedVersions =
    query.state === 'outdated'
      ? (await reportedAgentVersions(context.db)).filter(
          (version) => agentVersionVerdict(version, context.agentVersions) !== 'current',
        )
      : undefined;
  const { computers, hasNextPage } = await listComputers(
    context.db,
    {
      state: query.state === 'outdated' ? 'all' : query.state,
      search: query.q,
      versions: outdatedVersions,
      page: query.page,
      pageSize,
    },
    identityViewerOf(principal),
  );
  const readers = await readersByAgent(context);
  const administers = mayAdministerComputers(principal);
  const codes = await listEnrolmentCodes(context.db, { now: new Date() });
  return json({
    query,
    hasNextPage,
    computers: computers.map((computer) => computerRow(computer, context.agentVersions, readers)),
    codes: codes.map((code) => enrolmentCodeRow(code, { userId: principal.userId, administers })),
    administers,
    limits: codeLimits(),
  });
}

const created: ComputerAttempt = {
  action: 'agent_enrolment_code_created',
  objectType: 'agent_enrolment_code',
};
const withdrawn: ComputerAttempt = {
  action: 'agent_enrolment_code_withdrawn',
  objectType: 'agent_enrolment_code',
};

/**
 * A new enrolment code (one named computer: support and system administrators; a rollout: system
 * administrators), shown once in the answer and never stored; or a code withdrawn.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await requireSection(request, context, 'computers');
  const formData = await request.formData();
  const intent = formData.get('intent');
  const attempt = intent === 'withdraw_code' ? withdrawn : created;
  if (intent === 'create_batch') await requireRole(request, context, principal, computerAdminRoles, attempt);
  const form = validateForm(enrolmentCodeSchema(codeLimits()), formData);
  if (!form.ok)
    return refuseComputerChange(request, context, principal, attempt, 'invalid_input', form.errors);
  const now = new Date();
  if (form.data.intent === 'withdraw_code') {
    const outcome = await withdrawEnrolmentCode(context.db, {
      codeId: form.data.codeId,
      now,
      onlyCreatedBy: mayAdministerComputers(principal) ? undefined : principal.userId,
    });
    const target = { ...withdrawn, objectId: form.data.codeId };
    if (!outcome.ok) return refuseComputerChange(request, context, principal, target, outcome.reason);
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      ...target,
      outcome: 'success',
      detail: { computerName: outcome.code.computerName, batchSize: outcome.code.usesAllowed },
    });
    return json({ ok: true as const, withdrawn: true as const });
  }
  const order =
    form.data.intent === 'create_code'
      ? { computerName: form.data.computerName, usesAllowed: 1, validForMs: form.data.validHours }
      : { computerName: null, usesAllowed: form.data.count, validForMs: form.data.validDays };
  const { computerName, usesAllowed } = order;
  const code = await createEnrolmentCode(context.db, {
    createdByUserId: principal.userId,
    ...order,
    secret: context.masterKey,
    now,
  });
  // The audit names the code's row, its computer or batch size and expiry: never the code.
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    ...created,
    objectId: code.id,
    outcome: 'success',
    detail: { computerName, batchSize: usesAllowed, expiresAt: code.expiresAt.toISOString() },
  });
  return json(
    {
      ok: true as const,
      created: { code: code.code, expiresAt: code.expiresAt.getTime(), computerName, usesAllowed },
    },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}

function pageLink(search: string, page: number): string {
  const params = new URLSearchParams(search);
  params.set('page', String(page));
  return `?${params}`;
}

function Filters() {
  const { query } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <Form method="get" className="card filters" aria-label={t('computers.filter.heading')}>
      <div className="field">
        <label htmlFor="computers-q">{t('computers.filter.search')}</label>
        <input id="computers-q" name="q" type="search" defaultValue={query.q} maxLength={100} />
      </div>
      <div className="field">
        <label htmlFor="computers-state">{t('computers.filter.state')}</label>
        <select id="computers-state" name="state" defaultValue={query.state}>
          {computerStates.map((state) => (
            <option key={state} value={state}>
              {t(`computers.filter.state.${state}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="button-row">
        <button type="submit" className="primary">
          {t('computers.filter.apply')}
        </button>
        <Link to="/admin/datorer">{t('computers.filter.reset')}</Link>
      </div>
    </Form>
  );
}

export default function ComputersPage() {
  const { computers, codes, administers, limits, query, hasNextPage } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const t = useT();
  const { search } = useLocation();
  return (
    <>
      <h1>{t('computers.heading')}</h1>
      <p className="muted">{administers ? t('computers.intro') : t('computers.readOnly')}</p>
      {answer && 'created' in answer && <CreatedEnrolmentCode created={answer.created} />}
      {answer && 'withdrawn' in answer && <p role="status">{t('computers.codes.withdrawn')}</p>}
      {answer && !answer.ok && Object.keys(answer.errors).length === 0 && (
        <p className="form-error" role="alert">
          {answer.message}
        </p>
      )}
      <CreateEnrolmentCode limits={limits} mayCreateBatch={administers} />
      <section aria-labelledby="computers-heading">
        <h2 id="computers-heading">{t('computers.list.heading')}</h2>
        <Filters />
        {computers.length === 0 ? <p>{t('computers.none')}</p> : <ComputerTable computers={computers} />}
        <nav className="paging" aria-label={t('computers.paging')}>
          {query.page > 1 && <Link to={pageLink(search, query.page - 1)}>{t('computers.previous')}</Link>}
          <span>
            {t('computers.page')} {query.page}
          </span>
          {hasNextPage && <Link to={pageLink(search, query.page + 1)}>{t('computers.next')}</Link>}
        </nav>
      </section>
      <EnrolmentCodeTable codes={codes} />
    </>
  );
}
