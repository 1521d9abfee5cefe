import type { AppDatabase } from '../../db/connection';
import type { ServerConfig } from '../config';
import type { Logger } from '../logger';
import { type MailCatcher, startMailCatcher } from './dev-mail-catcher';
import { type MailSender, type MailSenderOptions, startMailSender } from './mail-sender';
import { mailEnvironmentLabel } from './settings';
import {
  queueUnlockAttemptMail,
  type UnlockAttempt,
  type UnlockMailDb,
  type UnlockMailResult,
  type UnlockMailSettings,
} from './unlock-attempt-mail';

/** What the rest of the server uses to send mail: queue it in the outbox, and have it sent at once. */
export interface MailService {
  /** Has the sender look at the outbox now; a no-op when no SMTP server is configured. */
  kick(): void;
  /** `queueUnlockAttemptMail` with this server's settings, kicking the sender when a mail was queued. */
  queueUnlockAttemptMail(db: UnlockMailDb, attempt: UnlockAttempt): Promise<UnlockMailResult>;
}

export interface RunningMail {
  service: MailService;
  /** The development catcher the mail goes to when no SMTP_URL is set; null otherwise. */
  devCatcher: MailCatcher | null;
  stop(): Promise<void>;
}

export function createMailService(settings: UnlockMailSettings, kick: () => void = () => {}): MailService {
  return {
    kick,
    async queueUnlockAttemptMail(db, attempt) {
      const result = await queueUnlockAttemptMail(db, attempt, settings);
      if (result.queued) kick();
      return result;
    },
  };
}

/**
 * Starts sending the outbox to SMTP_URL. In development without one, mail goes to a catcher on loopback
 * (listed at /dev/mail); elsewhere without one, mail stays in the outbox until SMTP_URL is set.
 */
export async function startMail(
  config: ServerConfig,
  deps: {
    db: AppDatabase;
    logger: Logger;
    sender?: Pick<MailSenderOptions, 'pollIntervalMs' | 'retryBaseDelayMs'>;
  },
): Promise<RunningMail> {
  let smtpUrl = config.SMTP_URL;
  let devCatcher: MailCatcher | null = null;
  if (!smtpUrl && config.NODE_ENV === 'development') {
    devCatcher = await startMailCatcher();
    smtpUrl = devCatcher.url;
    deps.logger.info({ smtpUrl, page: '/dev/mail' }, 'development mail catcher listening');
  }
  if (!smtpUrl && config.NODE_ENV === 'production') {
    deps.logger.warn('SMTP_URL is not set: mail stays in the outbox unsent');
  }
  const sender: MailSender | null = smtpUrl
    ? startMailSender({ db: deps.db, logger: deps.logger, smtpUrl, from: config.MAIL_FROM, ...deps.sender })
    : null;
  return {
    service: createMailService({ environmentLabel: mailEnvironmentLabel(config) }, () => sender?.kick()),
    devCatcher,
    async stop() {
      await sender?.stop();
      await devCatcher?.stop();
    },
  };
}
