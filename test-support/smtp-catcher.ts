import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaughtMail, startMailCatcher } from '../server/mail/dev-mail-catcher';

export type { CaughtMail } from '../server/mail/dev-mail-catcher';

export interface SmtpCatcher {
  /** The SMTP_URL to give the server, `smtp://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Every mail received, oldest first. */
  readonly mails: readonly CaughtMail[];
  /** The first mail received, or still to come, that matches; rejects after `timeoutMs`. */
  waitForMail(predicate: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  stop(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps every mail it gets, for tests and the demo. With `mailDir`,
 * each mail is also written there as a readable text file (and the raw message beside it).
 */
export async function startSmtpCatcher(
  options: { port?: number; mailDir?: string } = {},
): Promise<SmtpCatcher> {
  const mails: CaughtMail[] = [];
  const waiters = new Set<(mail: CaughtMail) => void>();
  if (options.mailDir) mkdirSync(options.mailDir, { recursive: true });
  const catcher = await startMailCatcher({
    ...(options.port === undefined ? {} : { port: options.port }),
    keep: 1,
    onMail(mail, raw) {
      mails.push(mail);
      if (options.mailDir) writeMailFiles(options.mailDir, mail, raw);
      for (const waiter of [...waiters]) waiter(mail);
    },
  });
  return {
    url: catcher.url,
    port: catcher.port,
    mails,
    waitForMail(predicate, timeoutMs = 10_000) {
      const already = mails.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<CaughtMail>((resolve, reject) => {
        const waiter = (mail: CaughtMail) => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = mails.map((mail) => `${mail.envelope.to.join(', ')}: ${mail.subject}`);
          reject(
            new Error(`No matching mail within ${timeoutMs} ms; received: ${seen.join('; ') || 'none'}`),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop: () => catcher.stop(),
  };
}

function writeMailFiles(mailDir: string, mail: CaughtMail, raw: Buffer): void {
  const name = `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${mail.id}`;
  const readable = [
    `Datum: ${mail.receivedAt.toISOString()}`,
    `Från: ${mail.from}`,
    `Till: ${mail.to}`,
    `Ämne: ${mail.subject}`,
    '',
    mail.text,
  ].join('\n');
  writeFileSync(join(mailDir, `${name}.txt`), readable);
  writeFileSync(join(mailDir, `${name}.eml`), raw);
}
