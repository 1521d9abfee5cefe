import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLogins } from '../db/demo-fixtures';
import { servedByHeader } from './haproxy';
import {
  type ClusterProcess,
  logInWithPassword,
  type SithsCluster,
  startSithsCluster,
} from './siths-cluster';

const chef = demoLogins.find((login) => login.username === 'chef')!;

describe('a cluster of two server processes behind HAProxy', () => {
  let cluster: SithsCluster;
  let session: string;

  beforeAll(async () => {
    cluster = await startSithsCluster({ processes: 2 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  /** A page through the balancer (or a process directly), and which process HAProxy says answered. */
  const get = async (path: string, options: { base?: string; cookie?: string } = {}) => {
    const response = await fetch(`${options.base ?? cluster.url}${path}`, {
      redirect: 'manual',
      headers: options.cookie ? { Cookie: options.cookie } : {},
    });
    await response.arrayBuffer();
    return { status: response.status, servedBy: response.headers.get(servedByHeader) };
  };

  it('is ready through the balancer, and HAProxy sends requests to both processes', async () => {
    const ready = await fetch(`${cluster.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: 'ok', redis: 'ok' });

    const servedBy = new Set<string | null>();
    for (let request = 0; request < 6; request++) servedBy.add((await get('/healthz')).servedBy);
    expect([...servedBy].sort()).toEqual(['process-0', 'process-1']);
  });

  it('logs a manager in through the balancer, and both processes know the session', async () => {
    session = await logInWithPassword(cluster.url, chef);

    for (const one of cluster.processes) {
      expect((await get('/admin', { base: one.url })).status, `${one.name} without a session`).toBe(302);
      expect((await get('/admin', { base: one.url, cookie: session })).status, one.name).toBe(200);
    }
  });

  it('keeps answering when a process crashes, from the other one, and takes the crashed one back', async () => {
    const [crashed, survivor] = cluster.processes as [ClusterProcess, ClusterProcess];
    await crashed.kill('SIGKILL');

    // At once, before a health check has noticed: the connection is refused and the request redispatched.
    for (let request = 0; request < 10; request++) {
      expect(await get('/admin', { cookie: session })).toEqual({ status: 200, servedBy: survivor.name });
    }
    await cluster.haproxy.waitUntilServer(crashed.name, 'DOWN', 3_000);

    await crashed.start();
    await cluster.haproxy.waitUntilServer(crashed.name, 'UP', 5_000);
    const servedBy = new Set<string | null>();
    for (let request = 0; request < 6; request++) {
      const answer = await get('/admin', { cookie: session });
      expect(answer.status).toBe(200);
      servedBy.add(answer.servedBy);
    }
    expect(servedBy).toContain(crashed.name);
  });
});
