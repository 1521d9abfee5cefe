import { EventEmitter } from 'node:events';
import type {
  CardSnapshot,
  JobError,
  JobKind,
  JobOffer,
  JobStepName,
  SupportMessage,
} from '../../protocol/jobs';
import type { JobReport } from '../jobs/job-execution';
import type { JobRunnerEvents } from '../jobs/job-runner';
import type { PinContext, PinPrompt, PinPrompts } from '../jobs/pin-prompts';
import type { ReaderState } from '../pcsc/reader-monitor';
import type { SupportHelp, SupportHelpView } from './support-help';
import { errorText, jobTitles, newPinProblems, stepTexts, successTexts, sv } from './sv';

/** An open question to the user, with every text around it. */
export interface PromptView {
  promptId: string;
  /** 'pin': one code field; 'new_pin': a new code typed twice. */
  kind: PinPrompt['kind'];
  cardSerial?: string;
  triesLeft?: number;
  /** What went wrong with the last answer: a wrong PIN, two codes that differ. */
  notice?: string;
  title?: string;
  lines: string[];
  /** The question above the field: "Ange pinkod för SITHS-kort (Legitimering)". */
  question?: string;
  label: string;
  repeatLabel?: string;
  submitText: string;
}

/** Everything the agent's own UI shows, ready to render: texts in Swedish, never a code. */
export interface AgentView {
  readers: Array<{ name: string; cardPresent: boolean }>;
  job?: { jobId: string; title: string; stepText: string; progress: number; card: CardSnapshot };
  prompt?: PromptView;
  /** How the last job ended; `confirm`: shown until the user presses OK. */
  result?: { ok: boolean; text: string; confirm?: boolean };
  messages: Array<{ text: string; from: string; at: number }>;
  /** "Få hjälp av support": the button, the code to read out, or who from support is paired. */
  support: SupportHelpView;
  /** Present while the computer is not enrolled: the window asks for the enrolment code. */
  enrolment?: { busy: boolean; error?: string };
  /** What stands in the way, or should be known, above everything else: revoked, an old version, no pcscd. */
  notices: Array<{ topic: NoticeTopic; text: string; alert: boolean }>;
}

export type NoticeTopic = 'connection' | 'version' | 'readers' | 'enrolled';

export interface AgentViewOptions {
  /** How long a finished or refused job's result stays before the window is a clean "Klar att användas". */
  resultMs?: number;
  /** How long a message from support stays when no job runs and no result is shown. */
  messageMs?: number;
  support?: SupportHelp;
}

const MAX_MESSAGES = 20;
/** Kinds whose success the user acknowledges with OK before the app is "Klar att användas" again. */
const confirmedKinds: ReadonlySet<JobKind> = new Set(['unlock']);

/** Keeps the view up to date from the readers, the running job and the open prompt. */
export class AgentViewModel extends EventEmitter<{ changed: [view: AgentView] }> {
  private view: AgentView = {
    readers: [],
    messages: [],
    support: { offerHelp: true, lines: [] },
    notices: [],
  };
  private jobKind: JobKind | undefined;
  private signsStatement = false;
  private readonly resultMs: number;
  private readonly messageMs: number;
  /** Clears what is left of the last job (its result, support's messages) when it fires. */
  private leftovers: NodeJS.Timeout | undefined;

  constructor(runner: EventEmitter<JobRunnerEvents>, prompts: PinPrompts, options: AgentViewOptions = {}) {
    super();
    this.resultMs = options.resultMs ?? 8_000;
    this.messageMs = options.messageMs ?? 60_000;
    runner.on('job-started', (offer) => this.jobStarted(offer));
    runner.on('job-refused', (offer, error) => this.jobRefused(offer, error));
    runner.on('report', (report) => this.reported(report));
    prompts.on('changed', (prompt) => this.promptChanged(prompt));
    const { support } = options;
    if (support) {
      this.view.support = support.current();
      support.on('changed', (view) => this.update({ support: view }));
    }
  }

  current(): AgentView {
    return structuredClone(this.view);
  }

  readersChanged(readers: ReaderState[]): void {
    const hadCard = new Set(this.view.readers.filter((reader) => reader.cardPresent).map(({ name }) => name));
    const cardRemoved = readers.some((reader) => hadCard.has(reader.name) && !reader.cardPresent);
    this.update({ readers: readers.map(({ name, cardPresent }) => ({ name, cardPresent })) });
    if (cardRemoved && !this.view.job) this.clearLeftovers();
  }

  /** Sets (or with undefined clears) the notice about one topic. */
  notice(topic: NoticeTopic, notice: { text: string; alert: boolean } | undefined): void {
    const others = this.view.notices.filter((shown) => shown.topic !== topic);
    const current = this.view.notices.find((shown) => shown.topic === topic);
    if (current?.text === notice?.text && current?.alert === notice?.alert) return;
    this.update({ notices: notice ? [...others, { topic, ...notice }] : others });
  }

  /** The enrolment form: shown (busy while the server is asked, with the last refusal), or gone once enrolled. */
  enrolment(state: AgentView['enrolment']): void {
    this.update({ enrolment: state });
  }

  supportMessage(message: SupportMessage): void {
    const messages = [...this.view.messages, { text: message.text, from: message.from, at: message.at }];
    this.update({ messages: messages.slice(-MAX_MESSAGES) });
    if (!this.view.job) this.clearLeftoversIn(this.messageMs);
  }

  /** The user pressed OK on a finished job's result. */
  dismissResult(): boolean {
    if (!this.view.result) return false;
    this.clearLeftovers();
    return true;
  }

  private jobStarted(offer: JobOffer): void {
    clearTimeout(this.leftovers);
    this.jobKind = offer.kind;
    this.signsStatement = offer.kind === 'authenticate' && offer.purpose === 'sign_decision';
    const title = this.signsStatement ? sv.signatureJobTitle : jobTitles[offer.kind];
    const job = { jobId: offer.jobId, title, stepText: '', progress: 0, card: {} };
    this.update({ job, result: undefined, prompt: undefined });
  }

  /** A job this agent could not take (two cards in the readers, no card): the reason, as for a failed one. */
  private jobRefused(_offer: JobOffer, error: JobError): void {
    if (this.view.job) return;
    this.update({ result: { ok: false, text: errorText(error.code) } });
    this.clearLeftoversIn(this.resultMs);
  }

  private clearLeftoversIn(ms: number): void {
    clearTimeout(this.leftovers);
    this.leftovers = setTimeout(() => this.clearLeftovers(), ms);
    this.leftovers.unref?.();
  }

  private clearLeftovers(): void {
    clearTimeout(this.leftovers);
    if (this.view.result || this.view.messages.length) this.update({ result: undefined, messages: [] });
  }

  private reported({ event, payload }: JobReport): void {
    const job = this.view.job;
    if (!job || job.jobId !== payload.jobId) return;
    if (event === 'job:finished') {
      const ok = payload.state === 'succeeded';
      const kind = this.jobKind ?? 'card_check';
      const success = this.signsStatement ? sv.signed : successTexts[kind];
      const text = payload.error ? errorText(payload.error.code, job.card) : success;
      const result = { ok, text, ...(ok && confirmedKinds.has(kind) ? { confirm: true } : {}) };
      this.update({ job: undefined, prompt: undefined, result });
      this.clearLeftoversIn(this.resultMs);
      return;
    }
    const card = { ...job.card, ...payload.card };
    this.update({
      job: {
        ...job,
        stepText: stepTexts[payload.step as JobStepName] ?? '',
        progress: payload.progress,
        card,
      },
    });
  }

  private promptChanged(prompt: PinPrompt | undefined): void {
    this.update({ prompt: prompt && promptView(prompt) });
  }

  private update(change: Partial<AgentView>): void {
    this.view = { ...this.view, ...change };
    this.emit('changed', this.current());
  }
}

function promptView(prompt: PinPrompt): PromptView {
  const { promptId, cardSerial } = prompt;
  if (prompt.kind === 'new_pin') {
    const assisted = prompt.assistedBy ? [sv.assistedBy(prompt.assistedBy)] : [];
    return {
      promptId,
      kind: 'new_pin',
      cardSerial,
      notice: prompt.problem && newPinProblems[prompt.problem],
      title: sv.newPinTitle,
      lines: [...assisted, sv.newPinText, sv.newPinPolicy, sv.unlockKeepCard],
      label: sv.newPinLabel,
      repeatLabel: sv.newPinRepeatLabel,
      submitText: sv.submitNewPin,
    };
  }
  const { triesLeft, retry } = prompt;
  return {
    promptId,
    kind: 'pin',
    cardSerial,
    triesLeft,
    notice: retry ? errorText('wrong_pin', { pinTriesLeft: triesLeft }) : undefined,
    question: sv.pinPrompt,
    label: sv.pinLabel,
    ...pinTexts(prompt.context),
  };
}

function pinTexts(
  context: PinContext,
): Pick<PromptView, 'title' | 'lines' | 'submitText'> & Partial<Pick<PromptView, 'question' | 'label'>> {
  switch (context.kind) {
    case 'signature':
      return {
        title: sv.signatureTitle,
        lines: [sv.signatureIntro, ...context.statement.split('\n')],
        question: sv.signaturePrompt,
        label: sv.signatureLabel,
        submitText: sv.submitSignature,
      };
    case 'login':
      return { lines: [sv.loginFor(context.relyingParty)], submitText: sv.submitPin };
    case 'registration':
      return { title: sv.registrationTitle, lines: [sv.registrationText], submitText: sv.submitPin };
    case 'activation':
      return {
        title: sv.activationTitle,
        lines: [sv.activationText, sv.activationKeepCard],
        submitText: sv.submitActivation,
      };
    case 'card_check':
      return { lines: [], submitText: sv.submitPin };
  }
}
