import type { AddressInfo } from 'node:net';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

/** A mail as an SMTP server on this machine received it. */
export interface CaughtMail {
  /** Counts up from 1 per catcher. */
  id: number;
  receivedAt: Date;
  envelope: { from: string | null; to: string[] };
  /** The From and To headers as written, e.g. `"Carina Svensson Andersson" <carina@example.org>`. */
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export interface MailCatcher {
  /** What SMTP_URL is set to for mail to come here. */
  url: string;
  port: number;
  /** The kept mails, newest first. */
  mails(): CaughtMail[];
  stop(): Promise<void>;
}

export interface MailCatcherOptions {
  /** Loopback only by default: the catcher accepts mail from anyone who reaches it. */
  host?: string;
  /** 0, the default, picks a free port. */
  port?: number;
  /** How many mails are kept in memory, newest first. */
  keep?: number;
  /** Called with each mail as it arrives, and its raw message. */
  onMail?: (mail: CaughtMail, raw: Buffer) => void | Promise<void>;
}

const maxMessageBytes = 1024 * 1024;

/**
 * An SMTP server that accepts every mail and keeps the last ones in memory, for development and tests:
 * mail sent "for real" lands here instead of in someone's inbox. No TLS and no login, so it listens on
 * loopback. Its packages are development dependencies, loaded only when a catcher is started.
 */
export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const [{ SMTPServer }, { simpleParser }] = await Promise.all([import('smtp-server'), import('mailparser')]);
  const host = options.host ?? '127.0.0.1';
  const keep = options.keep ?? 100;
  const kept: CaughtMail[] = [];
  let received = 0;

  const catchMail = async (raw: Buffer, session: SMTPServerSession) => {
    const parsed = await simpleParser(raw);
    const addresses = (value: typeof parsed.to) =>
      (Array.isArray(value) ? value : value ? [value] : []).map((address) => address.text).join(', ');
    received += 1;
    const mail: CaughtMail = {
      id: received,
      receivedAt: new Date(),
      envelope: {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
      },
      from: parsed.from?.text ?? '',
      to: addresses(parsed.to),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : null,
    };
    kept.unshift(mail);
    kept.splice(keep);
    await options.onMail?.(mail, raw);
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxMessageBytes,
    logger: false,
    banner: 'siths-desk mail catcher',
    onData(
      stream: SMTPServerDataStream,
      session: SMTPServerSession,
      callback: (error?: Error | null) => void,
    ) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          return;
        }
        catchMail(Buffer.concat(chunks), session).then(() => callback(), callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that drops its connection is the client's problem: without a listener it would end the process.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${host}:${port}`,
    port,
    mails: () => [...kept],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
