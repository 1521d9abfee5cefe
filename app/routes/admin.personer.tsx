import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { nonEmptyValues, QueryForm } from '~/audit/query-form';
import { identityViewerOf, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { Field } from '~/forms/validated-form';
import type { FieldErrors } from '~/forms/validation';
import { validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { personSearchSchema } from '~/people/person-search';
import { ProtectedIdentityBadge } from '~/people/protected-identity';
import personsStyles from '~/styles/persons.css';
import { recordAudit } from '../../db/audit';
import { type PersonListItem, type PersonSearchResult, searchPersons } from '../../db/persons';
import { maskPersonalIdentityNumber } from '../../protocol/identifiers';

export const meta: MetaFunction = () => [{ title: 'Personer – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: personsStyles }];

type MaskedPerson = Omit<PersonListItem, 'personalIdentityNumber'> & {
  personalIdentityNumber: string | null;
};
type SearchView =
  | { kind: 'identifier'; match: { inScope: true; person: MaskedPerson } | { inScope: false } | null }
  | { kind: 'name'; persons: MaskedPerson[]; truncated: boolean };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'persons');
  const url = new URL(request.url);
  const query = url.searchParams.get('q');
  if (query === null) return json({ query: '', errors: null, result: null });
  const form = validateForm(personSearchSchema, nonEmptyValues(url.searchParams));
  const audit = { actorUserId: principal.userId, actorLabel: principal.username, action: 'person_search' };
  if (!form.ok) {
    await recordAudit(context.db, {
      ...audit,
      objectType: 'person',
      outcome: 'refused',
      detail: { errors: form.errors },
    });
    return json({ query, errors: form.errors as FieldErrors, result: null }, { status: 400 });
  }
  const result = await searchPersons(
    context.db,
    form.data.q,
    visibleUnits(principal),
    identityViewerOf(principal),
  );
  if (result.kind === 'identifier') {
    // Looking someone up by HSA-id or personnummer reaches the whole region, so each lookup is on record.
    await recordAudit(context.db, {
      ...audit,
      objectType: 'person',
      objectId: result.match?.inScope ? result.match.person.id : null,
      outcome: 'success',
      detail: { by: form.data.q.kind, found: result.match !== null, inScope: result.match?.inScope ?? false },
    });
  }
  return json({ query, errors: null, result: masked(result) });
}

function masked(result: PersonSearchResult): SearchView {
  const mask = (person: PersonListItem): MaskedPerson => ({
    ...person,
    personalIdentityNumber: person.personalIdentityNumber
      ? maskPersonalIdentityNumber(person.personalIdentityNumber)
      : null,
  });
  if (result.kind === 'name') return { ...result, persons: result.persons.map(mask) };
  if (!result.match?.inScope) return result as SearchView;
  return { kind: 'identifier', match: { inScope: true, person: mask(result.match.person) } };
}

function PersonTable({ persons }: { persons: MaskedPerson[] }) {
  const t = useT();
  return (
    <table className="table" data-testid="person-results">
      <thead>
        <tr>
          <th>{t('persons.column.name')}</th>
          <th>{t('persons.column.hsaId')}</th>
          <th>{t('persons.column.personalIdentityNumber')}</th>
          <th>{t('persons.column.units')}</th>
        </tr>
      </thead>
      <tbody>
        {persons.map((person) => (
          <tr key={person.id}>
            <td>
              <Link to={`/admin/personer/${person.id}`}>
                {person.givenName} {person.surname}
              </Link>{' '}
              <ProtectedIdentityBadge shown={person.protectedIdentity} />
            </td>
            <td>{person.hsaId}</td>
            <td>{person.personalIdentityNumber ?? '–'}</td>
            <td>{person.unitNames.join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SearchResult({ result }: { result: SearchView }) {
  const t = useT();
  if (result.kind === 'identifier') {
    if (result.match === null) return <p className="notice card">{t('persons.search.noMatch')}</p>;
    if (!result.match.inScope) return <p className="notice card">{t('persons.search.outsideScope')}</p>;
    return <PersonTable persons={[result.match.person]} />;
  }
  if (result.persons.length === 0) return <p className="notice card">{t('persons.search.noNameMatch')}</p>;
  return (
    <>
      <PersonTable persons={result.persons} />
      {result.truncated && <p className="muted">{t('persons.search.truncated')}</p>}
    </>
  );
}

export default function PersonSearchPage() {
  const { query, errors, result } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t('persons.heading')}</h1>
      <QueryForm
        schema={personSearchSchema}
        serverErrors={errors ?? undefined}
        className="card person-search"
      >
        <Field
          name="q"
          label={t('persons.search.label')}
          hint={t('persons.search.hint')}
          defaultValue={query}
          autoComplete="off"
        />
        <button type="submit" className="primary">
          {t('persons.search.submit')}
        </button>
      </QueryForm>
      {result && (
        <section aria-label={t('persons.search.results')}>
          <SearchResult result={result} />
        </section>
      )}
    </>
  );
}
