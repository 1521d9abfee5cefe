import { EventEmitter } from 'node:events';
import type { CardSnapshot, JobKind, JobOffer, JobStepName, SupportMessage } from '../../protocol/jobs';
import type { JobReport } from '../jobs/job-execution';
import type { JobRunnerEvents } from '../jobs/job-runner';
import type { PinContext, PinPrompt, PinPrompts } from '../jobs/pin-prompts';
import type { ReaderState } from '../pcsc/reader-monitor';
import { errorText, jobTitles, stepTexts, successTexts, sv } from './sv';

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
}

const MAX_MESSAGES = 20;
/** Kinds whose success the user acknowledges with OK before the app is "Klar att användas" again. */
const confirmedKinds: ReadonlySet<JobKind> = new Set(['unlock']);

/** Keeps the view up to date from the readers, the running job and the open prompt. */
export class AgentViewModel extends EventEmitter<{ changed: [view: AgentView] }> {
  private view: AgentView = { readers: [], messages: [] };
  private jobKind: JobKind | undefined;
  private signsStatement = false;

  constructor(runner: EventEmitter<JobRunnerEvents>, prompts: PinPrompts) {
    super();
    runner.on('job-started', (offer) => this.jobStarted(offer));
    runner.on('report', (report) => this.reported(report));
    prompts.on('changed', (prompt) => this.promptChanged(prompt));
  }

  current(): AgentView {
    return structuredClone(this.view);
  }

  readersChanged(readers: ReaderState[]): void {
    this.update({ readers: readers.map(({ name, cardPresent }) => ({ name, cardPresent })) });
  }

  supportMessage(message: SupportMessage): void {
    const messages = [...this.view.messages, { text: message.text, from: message.from, at: message.at }];
    this.update({ messages: messages.slice(-MAX_MESSAGES) });
  }

  /** The user pressed OK on a finished job's result. */
  dismissResult(): boolean {
    if (!this.view.result) return false;
    this.update({ result: undefined });
    return true;
  }

  private jobStarted(offer: JobOffer): void {
    this.jobKind = offer.kind;
    this.signsStatement = offer.kind === 'authenticate' && offer.purpose === 'sign_decision';
    const title = this.signsStatement ? sv.signatureJobTitle : jobTitles[offer.kind];
    const job = { jobId: offer.jobId, title, stepText: '', progress: 0, card: {} };
    this.update({ job, result: undefined, prompt: undefined });
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
    const notices = { invalid_new_pin: sv.pinRule, new_pin_mismatch: sv.newPinMismatch };
    return {
      promptId,
      kind: 'new_pin',
      cardSerial,
      notice: prompt.problem && notices[prompt.problem],
      title: sv.newPinTitle,
      lines: [sv.newPinText, sv.unlockKeepCard],
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
