import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCardLogger } from '../../card-agent/pcsc/logger';
import { redactUrl } from '../../protocol/redact-url';
import { startProcess } from '../../test-support/processes';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 9: no full personnummer and no secret from a URL reaches a log; log files are the user's only. */
function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

const personnummer = '19840312-9820';
const digitsOf = (value: string) => value.replace(/\D/g, '');

describe('URL redaction', () => {
  it.each([
    '/admin/personer?q=19840312-9820',
    '/admin/personer?q=198403129820',
    '/admin/personer?q=840312-9820',
    '/admin/personer?q=840312%2B9820',
    '/admin/personer?q=19840372+9820',
    '/logga-in?redirectTo=%2Fadmin%2Fpersoner%3Fq%3D19840312-9820',
    '/admin/personer/8403129820',
  ])('hides the identifier in %s', (url) => {
    const redacted = redactUrl(url);
    expect(redacted).toContain('[hidden]');
    expect(digitsOf(redacted)).not.toMatch(/\d{10}/);
  });

  it('hides the values of secret-bearing parameters and keeps the rest', () => {
    expect(redactUrl('http://127.0.0.1:8790/?key=s3cr3t-Key&view=1')).toBe(
      'http://127.0.0.1:8790/?key=[hidden]&view=1',
    );
    expect(redactUrl('/x?startToken=abc&code=123456&q=Carina')).toBe(
      '/x?startToken=[hidden]&code=[hidden]&q=Carina',
    );
  });

  it('keeps card serials (19 digits) and paths without identifiers as they are', () => {
    expect(redactUrl('/admin/kort/9752269000000000012?sida=2')).toBe(
      '/admin/kort/9752269000000000012?sida=2',
    );
  });
});

describe('the request log', () => {
  let server: RemixTestServer;
  const sink = logSink();
  beforeAll(async () => {
    server = await startRemixTestServer({ logDestination: sink.stream });
  });
  afterAll(() => server.stop());

  it('carries no personnummer from the people search, logged in or sent to the login page', async () => {
    const chef = await server.sessionOf('chef');
    const urls = [
      [`/admin/personer?q=${personnummer}`, { Cookie: chef }],
      [`/admin/personer?q=${personnummer}`, {}],
      [`/logga-in?redirectTo=${encodeURIComponent(`/admin/personer?q=${personnummer}`)}`, {}],
    ] as const;
    for (const [path, headers] of urls)
      await (await fetch(`${server.url}${path}`, { headers, redirect: 'manual' })).text();
    // The line is written when the response has finished, a moment after the client has read it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const requestLines = sink.lines.filter(
      (line) => line.includes('/admin/personer') || line.includes('/logga-in'),
    );
    expect(requestLines).toHaveLength(3);
    for (const line of requestLines) {
      expect(line).not.toMatch(/840312\D{0,3}9820/);
    }
  });
});

describe('the agent log', () => {
  it('shows the SITHS eID-app address without its access key', () => {
    const sink = logSink();
    const logger = createCardLogger(sink.stream).child({ process: 'card-agent' });
    logger.info({ uiUrl: 'http://127.0.0.1:8790/?key=Zm9vYmFyLXNlY3JldA' }, 'SITHS eID-app ready');
    expect(sink.lines.join('\n')).not.toContain('Zm9vYmFyLXNlY3JldA');
    expect(sink.lines.join('\n')).toContain('http://127.0.0.1:8790/?key=[hidden]');
  });
});

describe('log files', () => {
  it('are created readable by their owner only, and an old world-readable one is tightened', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'siths-logs-'));
    try {
      const fresh = join(directory, 'server.log');
      const old = join(directory, 'card-agent.log');
      writeFileSync(old, 'from an earlier run\n', { mode: 0o644 });
      for (const logFile of [fresh, old]) {
        const child = startProcess({
          name: 'echo',
          command: process.execPath,
          args: ['-e', ''],
          cwd: directory,
          logFile,
        });
        await child.exited;
        expect(statSync(logFile).mode & 0o777).toBe(0o600);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
