/**
 * The one CSV writer of every export (orders, audit log): `;` between cells and CRLF after each line, as
 * Excel in Sweden expects, quoted per RFC 4180 (a cell holding `;`, `"`, CR or LF is wrapped in quotes and
 * its quotes doubled).
 *
 * A cell a spreadsheet would run as a formula (its text starts with = + - @, a tab, CR or LF) gets an
 * apostrophe first, so `=HYPERLINK(...)` typed into a name shows as text (OWASP "CSV injection"). The
 * exports write no numbers of their own that start with a minus sign, and dates as `2026-01-31 10:15`, so
 * the apostrophe never lands on a value we made.
 */
const formulaStart = /^[=+\-@\t\r\n]/;
const needsQuotes = /[;"\r\n]/;

export function csvCell(value: string): string {
  const text = formulaStart.test(value) ? `'${value}` : value;
  return needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(';')}\r\n`;
}
