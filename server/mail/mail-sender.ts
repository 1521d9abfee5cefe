import nodemailer from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { AppDatabase } from '../../db/connection';
import {
  claimDueMails,
  mailRetryDelayMs,
  markMailFailed,
  markMailSent,
  type QueuedMail,
} from '../../db/mail-outbox';
import type { Logger } from '../logger';

export interface MailSenderOptions {
  db: AppDatabase;
  logger: Logger;
  /** `smtp://` or `smtps://`, with credentials if the relay wants them. */
  smtpUrl: string;
  from: string;
  /** How often the outbox is looked at without a kick: for retries, and mails queued by other processes. */
  pollIntervalMs?: number;
  /** The wait after the first failed attempt; it doubles with each further one. */
  retryBaseDelayMs?: number;
  /** The clock; tests pass their own. */
  now?: () => Date;
}

export interface MailSender {
  /** Looks at the outbox soon, e.g. right after a mail was queued. */
  kick(): void;
  /** Sends every mail due now, one at a time, and resolves when none is left. */
  runOnce(): Promise<void>;
  /** Waits for the mail being sent, then stops. */
  stop(): Promise<void>;
}

/** Sends the mail outbox over SMTP: at once when kicked, every `pollIntervalMs` anyway. */
export function startMailSender({
  db,
  logger,
  smtpUrl,
  from,
  pollIntervalMs = 15_000,
  retryBaseDelayMs = 60_000,
  now = () => new Date(),
}: MailSenderOptions): MailSender {
  const transport = nodemailer.createTransport(
    new SMTPTransport({
      url: smtpUrl,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    }),
    { from },
  );
  let stopped = false;
  let again = false;
  let running: Promise<void> | undefined;

  const send = async (mail: QueuedMail) => {
    try {
      const info = await transport.sendMail({
        to: mail.recipient,
        subject: mail.subject,
        text: mail.textBody,
        ...(mail.htmlBody ? { html: mail.htmlBody } : {}),
      });
      logger.info({ mailId: mail.id, messageId: info.messageId }, 'mail sent');
    } catch (error) {
      const retryAt = new Date(now().getTime() + mailRetryDelayMs(mail.attempts, retryBaseDelayMs));
      const result = await markMailFailed(db, mail.id, errorText(error), retryAt);
      // The error's code only: its text may quote the recipient.
      const { code, responseCode } = (error ?? {}) as { code?: string; responseCode?: number };
      logger.warn(
        { mailId: mail.id, attempts: mail.attempts, code, responseCode },
        result === 'gave_up' ? 'mail given up after its last attempt' : 'mail not sent, will retry',
      );
      return;
    }
    await markMailSent(db, mail.id, now());
  };

  const drain = async () => {
    while (!stopped) {
      const [mail] = await claimDueMails(db, now(), 1);
      if (!mail) return;
      await send(mail);
    }
  };

  const run = async () => {
    do {
      again = false;
      try {
        await drain();
      } catch (error) {
        // A locked database, say: the next poll tries again.
        logger.error({ err: error }, 'mail outbox run failed');
      }
    } while (again && !stopped);
  };

  const kick = () => {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
      if (again) kick();
    });
  };

  const timer = setInterval(kick, pollIntervalMs);
  timer.unref();
  kick();

  return {
    kick,
    async runOnce() {
      kick();
      await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      transport.close();
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
