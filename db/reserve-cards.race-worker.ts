import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection';
import { assignReserveCard, type ReserveCardActor } from './reserve-cards';

/** One contact person's request in the race test: its own connection, started together with the other. */
const { path, start, input, actor } = workerData as {
  path: string;
  start: Int32Array;
  input: { cardId: string; orderId: string };
  actor: ReserveCardActor;
};
const db = openDatabase(path);
Atomics.add(start, 0, 1);
while (Atomics.load(start, 0) < 2) Atomics.wait(start, 0, 1, 5);
parentPort!.postMessage(assignReserveCard(db, input, actor));
db.$client.close();
