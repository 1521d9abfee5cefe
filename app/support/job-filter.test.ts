import { describe, expect, it } from 'vitest';
import type { JobView } from '../../protocol/support-events';
import { jobFilterFromUrl, jobMatchesFilter } from './job-filter';

const now = Date.parse('2026-11-22T12:00:00Z');
const job: JobView = {
  jobId: '6f1b7c1e-3d2a-4c55-9a57-6f0f2b0b2b11',
  kind: 'card_check',
  state: 'running',
  agentId: 'a',
  agentSessionId: 's',
  agentName: 'Demo-dator',
  holder: {
    hidden: false,
    protectedIdentity: false,
    name: 'Carina Svensson Andersson',
    hsaId: 'TSTNMT2321000156-1001',
    units: [{ id: 'akuten', name: 'Akutmottagning Sahlgrenska' }],
  },
  readerName: 'Virtual PCD 00 00',
  cardSerial: '9752269885719985027',
  currentStep: 'card_read',
  progress: 60,
  errorCode: null,
  errorMessage: null,
  retryOfJobId: null,
  createdAt: now - 5 * 60_000,
  updatedAt: now,
  finishedAt: null,
};

describe('job list filter', () => {
  it('reads a filter from the URL and ignores what it does not know', () => {
    const url = new URL(
      'http://x/admin/support?state=failed&maxAgeMinutes=60&search=%20975%20&unitId=&bogus=1',
    );
    expect(jobFilterFromUrl(url)).toEqual({ state: 'failed', maxAgeMinutes: 60, search: '975' });
    expect(jobFilterFromUrl(new URL('http://x/?state=exploded&maxAgeMinutes=7'))).toEqual({});
  });

  it('matches a live job by state, unit, age and HSA-id or card serial', () => {
    expect(jobMatchesFilter(job, {}, now)).toBe(true);
    expect(jobMatchesFilter(job, { state: 'running', unitId: 'akuten' }, now)).toBe(true);
    expect(jobMatchesFilter(job, { state: 'failed' }, now)).toBe(false);
    expect(jobMatchesFilter(job, { unitId: 'kardiologi' }, now)).toBe(false);
    expect(jobMatchesFilter(job, { maxAgeMinutes: 15 }, now)).toBe(true);
    expect(jobMatchesFilter({ ...job, createdAt: now - 20 * 60_000 }, { maxAgeMinutes: 15 }, now)).toBe(
      false,
    );
    expect(jobMatchesFilter(job, { search: 'tstnmt2321000156-1001' }, now)).toBe(true);
    expect(jobMatchesFilter(job, { search: '9752269885' }, now)).toBe(true);
    expect(jobMatchesFilter(job, { search: '1234' }, now)).toBe(false);
  });

  it('finds a job whose holder is hidden from the reader by card serial only, never by HSA-id or unit', () => {
    const hidden = { ...job, holder: { hidden: true as const } };
    expect(jobMatchesFilter(hidden, { search: 'tstnmt2321000156-1001' }, now)).toBe(false);
    expect(jobMatchesFilter(hidden, { unitId: 'akuten' }, now)).toBe(false);
    expect(jobMatchesFilter(hidden, { search: '9752269885' }, now)).toBe(true);
  });
});
