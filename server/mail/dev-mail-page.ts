import type { RequestHandler } from 'express';
import type { AppDatabase } from '../../db/connection';
import { listRecentMails } from '../../db/mail-outbox';
import type { MailCatcher } from './dev-mail-catcher';
import { escapeHtml } from './html';

const shownMails = 100;

/**
 * /dev/mail, outside production only: the outbox and, when the development catcher runs, the mails it
 * received. Plain HTML without scripts, so it lives within the server's CSP.
 */
export function devMailPage(deps: { db: AppDatabase; catcher: MailCatcher | null }): RequestHandler {
  return (_req, res, next) => {
    renderDevMailPage(deps).then(
      (page) => res.type('html').set('Cache-Control', 'no-store').send(page),
      next,
    );
  };
}

async function renderDevMailPage({
  db,
  catcher,
}: {
  db: AppDatabase;
  catcher: MailCatcher | null;
}): Promise<string> {
  const outbox = (await listRecentMails(db, shownMails)).map((mail) =>
    row([
      time(mail.createdAt),
      mail.recipient,
      mail.subject,
      mail.status,
      String(mail.attempts),
      mail.sentAt ? time(mail.sentAt) : '',
      mail.lastError ?? '',
    ]),
  );
  const caught = (catcher?.mails() ?? []).map((mail) =>
    row([time(mail.receivedAt), mail.to, mail.subject], `<td><pre>${escapeHtml(mail.text)}</pre></td>`),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Mail (development)</title>
<style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}pre{margin:0;white-space:pre-wrap}</style>
</head><body>
<h1>Received by the development catcher</h1>
${
  catcher
    ? table(['Received', 'To', 'Subject', 'Text'], caught, 'No mail received yet.')
    : '<p>No catcher runs here: SMTP_URL names the server mail goes to.</p>'
}
<h1>Outbox</h1>
${table(['Queued', 'To', 'Subject', 'Status', 'Attempts', 'Sent', 'Last error'], outbox, 'The outbox is empty.')}
</body></html>`;
}

function table(headings: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p>${escapeHtml(empty)}</p>`;
  const head = headings.map((heading) => `<th>${escapeHtml(heading)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function row(cells: string[], extra = ''): string {
  return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}${extra}</tr>`;
}

function time(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 19);
}
