import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection';
import { assignReserveCard } from './reserve-card-assignment';
import type { ReserveCardActor } from './reserve-cards';

/** One contact person's request in the race test: its own connection, started together with the other. */
const { url, start, input, actor } = workerData as {
  url: string;
  start: Int32Array;
  input: { cardId: string; orderId: string };
  actor: ReserveCardActor;
};
const db = await openDatabase(url);
Atomics.add(start, 0, 1);
while (Atomics.load(start, 0) < 2) Atomics.wait(start, 0, 1, 5);
parentPort!.postMessage(await assignReserveCard(db, input, actor));
await db.close();
