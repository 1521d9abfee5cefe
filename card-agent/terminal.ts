import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { PinPrompts } from './jobs/pin-prompts';
import type { AgentView, AgentViewModel } from './ui/agent-view';
import { newPinProblems, sv } from './ui/sv';

type Prompt = NonNullable<AgentView['prompt']>;

/**
 * Terminal mode: the same prompts and messages as the local web page, for a computer without a
 * browser. The PIN is read without echo and handed to the prompt; whichever face answers first wins.
 */
export function startTerminalUi(view: AgentViewModel, prompts: PinPrompts, out = process.stdout) {
  // Input is never echoed: the interface writes to a sink and the questions go to `out` directly.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const input = createInterface({ input: process.stdin, output: silent, terminal: process.stdin.isTTY });
  input.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  const lines = lineReader(input);
  const print = (line: string) => out.write(`${line}\n`);
  let shown: AgentView = view.current();
  let asking: AbortController | undefined;

  const onChange = (next: AgentView) => {
    if (next.job?.stepText && next.job.stepText !== shown.job?.stepText)
      print(`${next.job.stepText} ... ${next.job.progress}%`);
    if (next.result && next.result.text !== shown.result?.text) print(next.result.text);
    for (const message of next.messages.slice(shown.messages.length))
      print(`${sv.supportMessage} (${message.from}): ${message.text}`);
    const support = [next.support.code, ...next.support.lines].filter(Boolean).join(' ');
    if (support && support !== [shown.support.code, ...shown.support.lines].filter(Boolean).join(' '))
      print(support);
    if (next.prompt?.promptId !== shown.prompt?.promptId) {
      asking?.abort();
      asking = next.prompt ? new AbortController() : undefined;
      if (next.prompt && asking) void askPin(next.prompt, { lines, prompts, print, out }, asking.signal);
    }
    shown = next;
  };
  view.on('changed', onChange);
  print(sv.ready);
  return () => {
    view.off('changed', onChange);
    asking?.abort();
    input.close();
  };
}

/**
 * Lines typed while a prompt waits. Piped input (scripts, tests) may arrive before the prompt, so
 * it is kept; on a terminal only lines typed after the question count.
 */
function lineReader(input: ReturnType<typeof createInterface>) {
  const early: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  input.on('line', (line) => {
    if (waiting) waiting(line);
    else if (!process.stdin.isTTY) early.push(line);
  });
  return (signal: AbortSignal): Promise<string | undefined> => {
    const line = early.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      const done = (value: string | undefined) => {
        waiting = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => done(undefined);
      waiting = done;
      signal.addEventListener('abort', onAbort, { once: true });
    });
  };
}

interface Terminal {
  lines: ReturnType<typeof lineReader>;
  prompts: PinPrompts;
  print(line: string): void;
  out: NodeJS.WritableStream;
}

async function askPin(prompt: Prompt, terminal: Terminal, signal: AbortSignal): Promise<void> {
  const { lines, prompts, print, out } = terminal;
  if (prompt.notice) print(prompt.notice);
  if (prompt.title) print(prompt.title);
  for (const line of prompt.lines) print(line);
  const serial = prompt.cardSerial ? `(${sv.cardSerial} ${prompt.cardSerial})` : '';
  const heading = [prompt.question, serial].filter(Boolean).join(' ');
  if (heading) print(heading);
  if (prompt.triesLeft !== undefined) print(sv.triesLeft(prompt.triesLeft));
  const ask = async (label: string) => {
    out.write(`${label} ${sv.terminalCancelHint}: `);
    const answer = (await lines(signal))?.trim();
    if (answer !== undefined) out.write('\n');
    return answer;
  };
  for (;;) {
    const pin = await ask(prompt.label);
    if (pin === undefined) return;
    if (pin === '') {
      prompts.cancel(prompt.promptId);
      return;
    }
    if (prompt.kind === 'pin') {
      if (prompts.submit(prompt.promptId, pin) !== 'invalid_pin') return;
      print(sv.pinRule);
      continue;
    }
    const repeat = await ask(prompt.repeatLabel ?? prompt.label);
    if (repeat === undefined) return;
    const result = prompts.submitNewPin(prompt.promptId, pin, repeat);
    if (result === 'accepted' || result === 'no_prompt') return;
    print(newPinProblems[result]);
  }
}
