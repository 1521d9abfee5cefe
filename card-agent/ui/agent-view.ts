import { EventEmitter } from 'node:events';
import type { CardSnapshot, JobOffer, JobStepName, SupportMessage } from '../../protocol/jobs';
import type { JobReport } from '../jobs/job-execution';
import type { JobRunnerEvents } from '../jobs/job-runner';
import type { PinPrompt, PinPrompts } from '../jobs/pin-prompts';
import type { ReaderState } from '../pcsc/reader-monitor';
import { errorText, jobTitles, stepTexts, sv } from './sv';

/** Everything the agent's own UI shows, ready to render: texts in Swedish, never a code. */
export interface AgentView {
  readers: Array<{ name: string; cardPresent: boolean }>;
  job?: { jobId: string; title: string; stepText: string; progress: number; card: CardSnapshot };
  prompt?: { promptId: string; cardSerial?: string; triesLeft?: number; notice?: string };
  result?: { ok: boolean; text: string };
  messages: Array<{ text: string; from: string; at: number }>;
}

const MAX_MESSAGES = 20;

/** Keeps the view up to date from the readers, the running job and the open prompt. */
export class AgentViewModel extends EventEmitter<{ changed: [view: AgentView] }> {
  private view: AgentView = { readers: [], messages: [] };

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

  private jobStarted(offer: JobOffer): void {
    const job = { jobId: offer.jobId, title: jobTitles[offer.kind], stepText: '', progress: 0, card: {} };
    this.update({ job, result: undefined, prompt: undefined });
  }

  private reported({ event, payload }: JobReport): void {
    const job = this.view.job;
    if (!job || job.jobId !== payload.jobId) return;
    if (event === 'job:finished') {
      const text = payload.error ? errorText(payload.error.code, job.card) : sv.done;
      this.update({ job: undefined, prompt: undefined, result: { ok: payload.state === 'succeeded', text } });
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
    if (!prompt) {
      this.update({ prompt: undefined });
      return;
    }
    const { promptId, cardSerial, triesLeft, retry } = prompt;
    const notice = retry ? errorText('wrong_pin', { pinTriesLeft: triesLeft }) : undefined;
    this.update({ prompt: { promptId, cardSerial, triesLeft, notice } });
  }

  private update(change: Partial<AgentView>): void {
    this.view = { ...this.view, ...change };
    this.emit('changed', this.current());
  }
}
