import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PinPrompts } from '../jobs/pin-prompts';
import { openWindowOnPrompts, type SpawnWindow, type WindowProcess } from './open-window';

const key = 'window-key-5f1c9a0e7b3d';
const url = `http://127.0.0.1:8790/?key=${key}`;
const desktop = { DISPLAY: ':0', PATH: '/usr/bin:/bin' };

/** Records each start of xdg-open; `fail` makes the child report that error or exit code. */
function fakeSpawn(fail?: { error?: string; exitCode?: number }) {
  const calls: Array<{ command: string; args: string[]; detached: boolean }> = [];
  const spawn: SpawnWindow = (command, args, options) => {
    calls.push({ command, args, detached: options.detached });
    const child = new EventEmitter() as EventEmitter & WindowProcess;
    child.unref = () => {};
    setImmediate(() => {
      if (fail?.error)
        child.emit('error', Object.assign(new Error(`spawn ${command} ${fail.error}`), { code: fail.error }));
      else child.emit('exit', fail?.exitCode ?? 0);
    });
    return child;
  };
  return { spawn, calls };
}

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

const ask = (prompts: PinPrompts, jobId: string, signal: AbortSignal) =>
  prompts.askPin({ jobId, context: { kind: 'card_check' } }, signal).catch(() => undefined);

describe('opening the SITHS eID-app window when a question needs the user', () => {
  it('runs xdg-open on the page once per job: a second question in the job goes to the window already open', async () => {
    const prompts = new PinPrompts();
    const { spawn, calls } = fakeSpawn();
    const { logger } = capturedLogger();
    openWindowOnPrompts(prompts, { url, logger, env: desktop, spawn });
    const job = new AbortController();
    void ask(prompts, 'job-1', job.signal);
    void ask(prompts, 'job-1', job.signal);
    expect(calls).toEqual([{ command: 'xdg-open', args: [url], detached: true }]);
    job.abort();
    void ask(prompts, 'job-2', new AbortController().signal);
    expect(calls.map((call) => call.args)).toEqual([[url], [url]]);
  });

  it('opens nothing without a graphical session, and on Wayland opens it', () => {
    const prompts = new PinPrompts();
    const { spawn, calls } = fakeSpawn();
    const { logger } = capturedLogger();
    openWindowOnPrompts(prompts, { url, logger, env: { PATH: '/usr/bin' }, spawn });
    void ask(prompts, 'job-1', new AbortController().signal);
    expect(calls).toEqual([]);

    openWindowOnPrompts(prompts, { url, logger, env: { WAYLAND_DISPLAY: 'wayland-0' }, spawn });
    void ask(prompts, 'job-2', new AbortController().signal);
    expect(calls).toHaveLength(1);
  });

  it('opens nothing once stopped, nor when a question closes', () => {
    const prompts = new PinPrompts();
    const { spawn, calls } = fakeSpawn();
    const { logger } = capturedLogger();
    const stop = openWindowOnPrompts(prompts, { url, logger, env: desktop, spawn });
    const job = new AbortController();
    void ask(prompts, 'job-1', job.signal);
    job.abort();
    stop();
    void ask(prompts, 'job-2', new AbortController().signal);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['xdg-open missing', { error: 'ENOENT' }, /could not be opened/],
    ['xdg-open failing', { exitCode: 3 }, /xdg-open could not open/],
  ])('never logs the page key, also when %s', async (_what, fail, expected) => {
    const prompts = new PinPrompts();
    const { spawn } = fakeSpawn(fail);
    const log = capturedLogger();
    openWindowOnPrompts(prompts, { url, logger: log.logger, env: desktop, spawn });
    void ask(prompts, 'job-1', new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.text()).toMatch(/opening the SITHS eID-app window/);
    expect(log.text()).toMatch(expected);
    expect(log.text()).not.toContain(key);
  });
});
