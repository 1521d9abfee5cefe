/**
 * The floor for the streaming benchmark: a plain `ws` server that does the least a relay can. Each
 * message from an agent (path /agent) is parsed, acknowledged to the agent, and sent to every
 * subscriber (path /subscriber) followed by an update of BENCH_UPDATE_BYTES, the same traffic the
 * real server sends support per step (job:step, then job:updated). No auth, no storage, no rooms.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { answerParent } from './bench-child';

const updateBytes = Number(process.env.BENCH_UPDATE_BYTES ?? '0');
const update = JSON.stringify(['update', 'x'.repeat(Math.max(0, updateBytes - 14))]);

const httpServer = createServer();
const wss = new WebSocketServer({ server: httpServer, maxPayload: 64 * 1024 });
const subscribers = new Set<WebSocket>();

wss.on('connection', (socket, request) => {
  if (request.url === '/subscriber') {
    subscribers.add(socket);
    socket.on('close', () => subscribers.delete(socket));
    return;
  }
  socket.on('message', (data) => {
    const text = data.toString();
    const [, report] = JSON.parse(text) as [string, { sequence: number }];
    socket.send(JSON.stringify({ ok: true, lastSequence: report.sequence }));
    for (const subscriber of subscribers) {
      subscriber.send(text);
      if (updateBytes > 0) subscriber.send(update);
    }
  });
});

await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const { port } = httpServer.address() as AddressInfo;

answerParent(
  { type: 'ready', url: `ws://127.0.0.1:${port}` },
  () =>
    new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => httpServer.close(() => resolve()));
    }),
);
