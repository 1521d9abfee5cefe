import { spawn as spawnProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { PinPrompt } from '../jobs/pin-prompts';
import type { Logger } from '../pcsc/logger';

type Environment = Record<string, string | undefined>;

/** The part of a started child this module uses. */
export interface WindowProcess {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  unref(): void;
}

export type SpawnWindow = (
  command: string,
  args: string[],
  options: { detached: boolean; stdio: 'ignore'; env: Environment },
) => WindowProcess;

export interface OpenWindowOptions {
  /** The window's address with its access key: handed to xdg-open and to nothing else, never logged. */
  url: string;
  logger: Logger;
  env?: Environment;
  /** Tests hand in their own; by default child_process.spawn. */
  spawn?: SpawnWindow;
}

/** A desktop this process can show a window on: X11 or Wayland. */
export const hasGraphicalSession = (env: Environment): boolean => Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);

/**
 * Opens the SITHS eID-app window (the loopback page, in the user's browser through xdg-open) when a question
 * needs the user: once per job, so a wrong PIN's second question goes to the window already open instead of
 * a new one. Without a graphical session it does nothing. Returns the function that stops it.
 */
export function openWindowOnPrompts(
  prompts: EventEmitter<{ changed: [prompt: PinPrompt | undefined] }>,
  options: OpenWindowOptions,
): () => void {
  const env: Environment = options.env ?? process.env;
  const log = options.logger.child({ component: 'open-window' });
  if (!hasGraphicalSession(env)) {
    log.info('no graphical session: the window opens only when the user opens it');
    return () => {};
  }
  const spawn = options.spawn ?? (spawnProcess as unknown as SpawnWindow);
  let openedForJob: string | undefined;
  const onChanged = (prompt: PinPrompt | undefined) => {
    if (!prompt || prompt.jobId === openedForJob) return;
    openedForJob = prompt.jobId;
    log.info({ jobId: prompt.jobId, prompt: prompt.kind }, 'opening the SITHS eID-app window');
    const child = spawn('xdg-open', [options.url], { detached: true, stdio: 'ignore', env });
    child.on('error', (error) => log.warn({ errorCode: error.code }, 'the window could not be opened'));
    child.on('exit', (code) => {
      if (code !== 0) log.warn({ exitCode: code }, 'xdg-open could not open the window');
    });
    child.unref();
  };
  prompts.on('changed', onChanged);
  return () => prompts.off('changed', onChanged);
}
