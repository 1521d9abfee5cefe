import { describe, expect, it } from 'vitest';
import { validateForm } from '~/forms/validation';
import { personSearchSchema } from './person-search';

const search = (q: string) => validateForm(personSearchSchema, { q });

describe('person search field', () => {
  it('reads a personnummer in the ways staff write it', () => {
    for (const q of ['19840312-9821', '198403129821', '840312-9821']) {
      expect(search(q)).toEqual({
        ok: true,
        data: { q: { kind: 'personalIdentityNumber', value: '198403129821' } },
      });
    }
  });

  it('refuses a personnummer with a wrong check digit or an impossible date', () => {
    for (const q of ['19840312-9820', '19841312-9821', '1984-03']) {
      expect(search(q)).toEqual({ ok: false, errors: { q: 'persons.search.error.personalIdentityNumber' } });
    }
  });

  it('reads an HSA-id in any case and refuses a malformed one', () => {
    expect(search('tstnmt2321000156-1001')).toEqual({
      ok: true,
      data: { q: { kind: 'hsaId', value: 'TSTNMT2321000156-1001' } },
    });
    expect(search('SE2321-E01')).toEqual({ ok: false, errors: { q: 'persons.search.error.hsaId' } });
  });

  it('takes anything else as a name of at least two characters', () => {
    expect(search(' Carina ')).toEqual({ ok: true, data: { q: { kind: 'name', value: 'Carina' } } });
    expect(search('C')).toEqual({ ok: false, errors: { q: 'persons.search.error.nameTooShort' } });
    expect(search('')).toEqual({ ok: false, errors: { q: 'persons.search.error.required' } });
    expect(validateForm(personSearchSchema, {})).toEqual({
      ok: false,
      errors: { q: 'persons.search.error.required' },
    });
  });
});
