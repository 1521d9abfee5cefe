import { Form } from '@remix-run/react';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';
import { batchValidDays, type EnrolmentCodeLimits, enrolmentCodeSchema, singleValidHours } from './forms';
import type { EnrolmentCodeRow } from './rows';

export interface CreatedCode {
  code: string;
  expiresAt: number;
  computerName: string | null;
  usesAllowed: number;
}

/** The new code, shown this once: the server keeps only its hash. */
export function CreatedEnrolmentCode({ created }: { created: CreatedCode }) {
  const t = useT();
  const format = useDateFormat();
  return (
    <section className="card created-code" role="status" aria-labelledby="created-code-heading">
      <h2 id="created-code-heading">{t('computers.code.created')}</h2>
      <p>
        <output aria-label={t('computers.code.label')} className="enrolment-code">
          {created.code}
        </output>
      </p>
      <dl className="facts">
        <div>
          <dt>{created.computerName ? t('computers.code.forComputer') : t('computers.code.forCount')}</dt>
          <dd>{created.computerName ?? created.usesAllowed}</dd>
        </div>
        <div>
          <dt>{t('computers.code.expires')}</dt>
          <dd>{format.dateTime(created.expiresAt)}</dd>
        </div>
      </dl>
      <p>{t('computers.code.howTo')}</p>
      <p className="muted">{t('computers.code.shownOnce')}</p>
    </section>
  );
}

/** A code for one named computer (support and system administrators), and for a rollout (administrators). */
export function CreateEnrolmentCode({
  limits,
  mayCreateBatch,
}: {
  limits: EnrolmentCodeLimits;
  mayCreateBatch: boolean;
}) {
  const t = useT();
  const schema = enrolmentCodeSchema(limits);
  return (
    <section className="card" aria-labelledby="create-code-heading">
      <h2 id="create-code-heading">{t('computers.code.heading')}</h2>
      <p className="muted">{t('computers.code.intro')}</p>
      <h3>{t('computers.code.single.heading')}</h3>
      <ValidatedForm schema={schema} method="post">
        <input type="hidden" name="intent" value="create_code" />
        <Field
          name="computerName"
          label={t('computers.code.computerName')}
          hint={t('computers.code.computerNameHint')}
          maxLength={100}
          autoComplete="off"
        />
        <Field as="select" name="validHours" label={t('computers.code.validHours')} defaultValue="24">
          {singleValidHours.map((hours) => (
            <option key={hours} value={hours}>
              {t(`computers.code.hours.${hours}`)}
            </option>
          ))}
        </Field>
        <SubmitButton>{t('computers.code.create')}</SubmitButton>
      </ValidatedForm>
      {mayCreateBatch && (
        <>
          <h3>{t('computers.code.batch.heading')}</h3>
          <p className="muted">{t('computers.code.batch.intro')}</p>
          <ValidatedForm schema={schema} method="post">
            <input type="hidden" name="intent" value="create_batch" />
            <Field
              name="count"
              label={t('computers.code.count')}
              inputMode="numeric"
              autoComplete="off"
              className="short-input"
            />
            <Field as="select" name="validDays" label={t('computers.code.validDays')} defaultValue="7">
              {batchValidDays.map((days) => (
                <option key={days} value={days}>
                  {t(`computers.code.days.${days}`)}
                </option>
              ))}
            </Field>
            <SubmitButton>{t('computers.code.create')}</SubmitButton>
          </ValidatedForm>
        </>
      )}
    </section>
  );
}

export function EnrolmentCodeTable({ codes }: { codes: EnrolmentCodeRow[] }) {
  const t = useT();
  const format = useDateFormat();
  return (
    <section aria-labelledby="codes-heading">
      <h2 id="codes-heading">{t('computers.codes.heading')}</h2>
      {codes.length === 0 ? (
        <p>{t('computers.codes.none')}</p>
      ) : (
        <table className="table" data-testid="enrolment-codes">
          <thead>
            <tr>
              <th scope="col">{t('computers.codes.column.for')}</th>
              <th scope="col">{t('computers.codes.column.uses')}</th>
              <th scope="col">{t('computers.codes.column.created')}</th>
              <th scope="col">{t('computers.codes.column.createdBy')}</th>
              <th scope="col">{t('computers.codes.column.expires')}</th>
              <th scope="col">{t('computers.codes.column.state')}</th>
            </tr>
          </thead>
          <tbody>
            {codes.map((code) => (
              <tr key={code.id}>
                <td>{code.computerName ?? t('computers.codes.batch')}</td>
                <td>
                  {code.uses} / {code.usesAllowed}
                </td>
                <td className="date">{format.dateTime(code.createdAt)}</td>
                <td>{code.createdBy}</td>
                <td className="date">{format.dateTime(code.expiresAt)}</td>
                <td>
                  {t(`computers.codes.state.${code.state}`)}
                  {code.mayWithdraw && (
                    <Form method="post" className="inline">
                      <input type="hidden" name="intent" value="withdraw_code" />
                      <input type="hidden" name="codeId" value={code.id} />{' '}
                      <button type="submit" className="small">
                        {t('computers.codes.withdraw')}
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
