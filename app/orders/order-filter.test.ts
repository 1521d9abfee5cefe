import { describe, expect, it } from 'vitest';
import { filterQuery, orderFilterFromUrl, orderPagePositionFromUrl } from './order-filter';

const url = (query: string) => new URL(`http://desk.test/admin/bestallningar${query}`);

describe('the order list address', () => {
  it('carries a page cursor there and back, with the filter and without the default sort', () => {
    const filter = orderFilterFromUrl(url('?search=Svensson&state=placed&sort=created_desc'));
    const cursor = { createdAt: 1_764_000_000_000, rowKey: 4711, personId: 'a1b2-c3.d4' };
    const query = filterQuery(filter, { after: cursor });
    expect(query).toBe('?search=Svensson&state=placed&after=1764000000000.4711.a1b2-c3.d4');
    expect(orderPagePositionFromUrl(url(query))).toEqual({ after: cursor });
    const postgresCursor = { ...cursor, rowKey: '0b9c5e3e-5d1e-4c4e-9f57-1c0de0f1e2a3' };
    expect(orderPagePositionFromUrl(url(filterQuery(filter, { before: postgresCursor })))).toEqual({
      before: postgresCursor,
    });
  });

  it('ignores a malformed cursor and shows the first page', () => {
    for (const bad of [
      'x',
      '1.2',
      '.1.p',
      '12a.1.p',
      `1.${'k'.repeat(101)}.p`,
      '1..p',
      `1.2.${'p'.repeat(101)}`,
    ]) {
      expect(orderPagePositionFromUrl(url(`?after=${encodeURIComponent(bad)}`))).toEqual({});
    }
    expect(orderPagePositionFromUrl(url('?after=&before=5.6.p'))).toEqual({
      before: { createdAt: 5, rowKey: 6, personId: 'p' },
    });
  });

  it('keeps the filter apart from the position', () => {
    expect(orderFilterFromUrl(url('?after=5.6.p&page=3&type=mobile'))).toEqual({
      type: 'mobile',
      sort: 'created_desc',
    });
  });
});
