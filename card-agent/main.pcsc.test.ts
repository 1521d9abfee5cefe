import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentVersion } from './version';

// The card-agent program as a user's computer starts it: what it says, and how it refuses to start, before any
// card is involved. (It talks to pcscd when it runs, hence .pcsc.)

const started: ChildProcess[] = [];
let folder: string | undefined;
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGTERM');
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
});

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'card-agent/main.ts', ...args], {
    env: { ...process.env, SITHS_AGENT_TOKEN: '', SITHS_SERVER_URL: '', LOG_LEVEL: 'silent' },
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function listening(port: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the agent never listened');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the card-agent program', () => {
  it('prints its version, the package’s', async () => {
    const { exited } = run(['--version']);
    expect(await exited).toMatchObject({ code: 0, stdout: `${agentVersion}\n` });
  });

  it('started a second time for the same user says in Swedish that it already runs, and exits 2', async () => {
    const port = await freePort();
    const token = 'a-device-token-for-this-test-only';
    const first = run(['--server', 'http://127.0.0.1:9', '--token', token, '--ui-port', String(port)]);
    await listening(port);
    const second = await run(['--server', 'http://127.0.0.1:9', '--token', token, '--ui-port', String(port)])
      .exited;
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`SITHS eID-appen körs redan på den här datorn (port ${port})`);
    expect(first.child.exitCode).toBeNull();
  });

  it('refuses a config file that does not parse, in Swedish, with exit code 2', async () => {
    folder = mkdtempSync(join(tmpdir(), 'agent-config-'));
    const config = join(folder, 'config.json');
    writeFileSync(config, '{ "serverUrl": "not a url" }');
    const { exited } = run(['--config', config, '--ui-port', '0']);
    const result = await exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Inställningsfilen ${config} stämmer inte: serverUrl.`);
  });
});
