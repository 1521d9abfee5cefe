import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './csv';

describe('csvLine', () => {
  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvLine(['=HYPERLINK("x")', '+1', '-2', '@a', '\tb', '\rc', 'ok'])).toBe(
      `"'=HYPERLINK(""x"")";'+1;'-2;'@a;'\tb;"'\rc";ok\r\n`,
    );
  });

  it('quotes per RFC 4180: separators, quotes and line breaks inside a cell', () => {
    expect(csvLine(['a;b', 'say "hi"', 'two\nlines', 'plain'])).toBe(
      `"a;b";"say ""hi""";"two\nlines";plain\r\n`,
    );
  });

  it('leaves dates, ids and names as they are', () => {
    for (const value of ['2026-01-31 10:15', '198403129821', 'SE2321000131-E000000000001', 'Åsa Öberg', '']) {
      expect(csvCell(value)).toBe(value);
    }
  });
});
