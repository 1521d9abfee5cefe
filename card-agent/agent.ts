import { writeFile } from 'node:fs/promises';
import { readerEventKinds } from '../protocol/agent-events';
import { CardSerials } from './card-serials';
import { type DeviceCredential, enrolThisComputer } from './enrolment/device-credential';
import { type CardAccess, pcscCardAccess, type ReaderSource } from './jobs/card-access';
import { JobRunner } from './jobs/job-runner';
import { PinPrompts } from './jobs/pin-prompts';
import { ReportOutbox, type ReportOutboxOptions } from './jobs/report-outbox';
import type { Logger } from './pcsc/logger';
import { ReaderMonitor } from './pcsc/reader-monitor';
import { connectToServer, listenForJobs, type ServerStanding } from './server-link';
import { startTerminalUi } from './terminal';
import { AgentViewModel, type AgentViewOptions } from './ui/agent-view';
import { openWindowOnPrompts } from './ui/open-window';
import { SupportHelp } from './ui/support-help';
import { enrolmentRefusals, sv } from './ui/sv';
import { startUiServer } from './ui/ui-server';

export interface AgentOptions {
  serverUrl: string;
  /** The demo's and the tests' way in; a real computer has a credential or enrols. */
  deviceToken?: string;
  /** This computer's enrolment with the server (card-agent/enrolment/device-credential.ts). */
  credential?: DeviceCredential;
  /** Without a token or credential: where the credential goes, and a code to enrol with at once (the config's). */
  enrolment?: { credentialPath: string; code?: string };
  logger: Logger;
  uiPort?: number;
  uiKey?: string;
  /** The local UI's address (with its key) is written here once it listens. */
  uiUrlFile?: string;
  terminal?: boolean;
  /** Open the window (the local page, through xdg-open) when a question needs the user; the package's start does. */
  openWindow?: boolean;
  /** Tests hand in fake readers and cards; by default the real PC/SC ones. */
  readers?: ReaderSource & Partial<CardAccess>;
  outbox?: ReportOutboxOptions;
  /** How long a card's serial read on insertion may take before it is given up (default 5 s). */
  serialReadTimeoutMs?: number;
  /** How long the window shows a result and support's messages; tests shorten them. */
  view?: Pick<AgentViewOptions, 'resultMs' | 'messageMs'>;
}

export type Agent = Awaited<ReturnType<typeof startAgent>>;

/** Wires the card-agent together: readers, server link, job runner, report outbox and the local UI. */
export async function startAgent(options: AgentOptions) {
  const { logger } = options;
  const readers = options.readers ?? new ReaderMonitor({ logger });
  const serials = new CardSerials(
    isCardAccess(readers) ? readers : pcscCardAccess(readers, logger),
    logger.child({ component: 'card-serials' }),
    options.serialReadTimeoutMs,
  );
  const cards = serials.access();
  const link = connectToServer({
    ...options,
    onStanding: (standing) => showStanding(standing),
    currentReaders: () => serials.withSerials(readers.readers()),
    activeJobIds: () => [
      ...new Set([...(runner.runningJobId ? [runner.runningJobId] : []), ...outbox.pendingJobIds()]),
    ],
  });
  const prompts = new PinPrompts();
  const runner: JobRunner = new JobRunner({
    cards,
    prompts,
    logger,
    exchange: (request) => link.exchange(request),
    send: (report) => outbox.enqueue(report),
    undelivered: (jobId) => outbox.undelivered(jobId),
  });
  const outbox = new ReportOutbox(link.socket, logger, {
    ...options.outbox,
    onJobRefused: (jobId) => runner.cancel(jobId, 'job_not_active'),
  });
  const supportHelp = new SupportHelp(() => link.requestSupportCode());
  link.socket.on('disconnect', () => supportHelp.sessionEnded());
  const view = new AgentViewModel(runner, prompts, { ...options.view, support: supportHelp });
  const showStanding = (standing: ServerStanding) => {
    if (standing.kind === 'revoked') return view.notice('connection', { text: sv.revoked, alert: true });
    if (standing.kind === 'replaced') return view.notice('connection', { text: sv.replaced, alert: true });
    if (standing.kind === 'unknown_agent' || standing.kind === 'enrolment_required') {
      const text = standing.kind === 'unknown_agent' ? sv.notEnrolledAnyMore : sv.enrolmentRequired;
      view.notice('connection', { text, alert: true });
      if (options.enrolment) view.enrolment({ busy: false });
      return;
    }
    view.notice('connection', undefined);
    const version = standing.version;
    if (version?.verdict === 'unsupported')
      view.notice('version', { text: sv.versionUnsupported(version.current), alert: true });
    else if (version?.verdict === 'outdated')
      view.notice('version', { text: sv.versionOutdated(version.current), alert: false });
    else view.notice('version', undefined);
  };
  let enrolling = false;
  /** The enrolment form or the config's code: one attempt at a time, only while no credential is in use. */
  const enrol = (code: string): boolean => {
    const enrolment = options.enrolment;
    if (!enrolment || enrolling || !view.current().enrolment) return false;
    enrolling = true;
    view.enrolment({ busy: true });
    void enrolThisComputer({ serverUrl: options.serverUrl, code, path: enrolment.credentialPath, logger })
      .then((result) => {
        if (!result.ok) return view.enrolment({ busy: false, error: enrolmentRefusals[result.code] });
        view.enrolment(undefined);
        view.notice('connection', undefined);
        view.notice('enrolled', { text: sv.enrolled(result.credential.name), alert: false });
        link.connectWith(result.credential);
      })
      .catch((error: unknown) => {
        logger.error({ errorName: (error as Error)?.name }, 'enrolment failed');
        view.enrolment({ busy: false, error: enrolmentRefusals.unreachable });
      })
      .finally(() => {
        enrolling = false;
      });
    return true;
  };
  if (!options.deviceToken && !options.credential && options.enrolment) {
    view.enrolment({ busy: false });
    if (options.enrolment.code) enrol(options.enrolment.code);
  }
  if (readers instanceof ReaderMonitor) {
    readers.on('error', () => view.notice('readers', { text: sv.pcscUnavailable, alert: true }));
    readers.on('available', () => view.notice('readers', undefined));
  }
  listenForJobs(
    link.socket,
    {
      offer: (raw) => runner.offer(raw),
      cancel: ({ jobId, code }) => runner.cancel(jobId, code ?? 'cancelled_by_support'),
      supportMessage: (message) => {
        logger.info({ from: message.from, jobId: message.jobId }, 'message from support');
        view.supportMessage(message);
      },
      supportPairing: (notice) => supportHelp.pairing(notice),
    },
    logger,
  );
  // In order, each after its card's serial is read: a card pulled during the read is reported after it came in.
  let readerReports = Promise.resolve();
  for (const kind of readerEventKinds) {
    readers.on(kind, (reader) => {
      logger.info({ kind, reader: reader.name }, 'reader event');
      view.readersChanged(readers.readers());
      const serialRead = kind === 'card-inserted' ? serials.cardInserted(reader.name) : undefined;
      if (kind === 'card-removed' || kind === 'reader-removed') serials.forget(reader.name);
      readerReports = readerReports
        .then(() => serialRead)
        .then(() => link.reportReaderEvent(kind, serials.withSerials([reader])[0]!))
        .catch((error: unknown) =>
          logger.warn({ errorName: (error as Error)?.name }, 'reader event not sent'),
        );
    });
  }
  const ui = await startUiServer({
    view,
    prompts,
    logger,
    port: options.uiPort,
    key: options.uiKey,
    cancelJob: () => runner.cancel(runner.runningJobId ?? '', 'user_cancelled'),
    supportHelp,
    serverOrigin: new URL(options.serverUrl).origin,
    autoStart: (token) => link.autoStart(token),
    enrol,
  });
  if (options.uiUrlFile) await writeFile(options.uiUrlFile, `${ui.url}\n`, { mode: 0o600 });
  logger.info({ uiUrl: ui.url }, 'SITHS eID-app ready: open this address in a browser');
  const stopTerminal = options.terminal ? startTerminalUi(view, prompts) : () => {};
  const stopOpeningWindow = options.openWindow
    ? openWindowOnPrompts(prompts, { url: ui.url, logger })
    : () => {};
  readers.start();
  view.readersChanged(readers.readers());

  return {
    ui,
    runner,
    outbox,
    prompts,
    view,
    socket: link.socket,
    async stop() {
      stopTerminal();
      stopOpeningWindow();
      readers.stop();
      await serials.idle();
      outbox.close();
      link.close();
      await ui.close();
    },
  };
}

function isCardAccess(readers: ReaderSource & Partial<CardAccess>): readers is ReaderSource & CardAccess {
  return typeof readers.openSession === 'function' && typeof readers.onCardLost === 'function';
}
