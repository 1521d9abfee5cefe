import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import { agentSessions, agents, persons } from './schema';

export interface KnownAgent {
  id: string;
  name: string;
  personId: string | null;
  holderName: string | null;
}

/** Device tokens are stored only as their SHA-256: a leaked database does not let anyone pose as an agent. */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function knownAgentQuery(db: AppDatabase) {
  return db
    .select({
      id: agents.id,
      name: agents.name,
      personId: agents.personId,
      givenName: persons.givenName,
      surname: persons.surname,
    })
    .from(agents)
    .leftJoin(persons, eq(persons.id, agents.personId));
}

function toKnownAgent(row: ReturnType<ReturnType<typeof knownAgentQuery>['get']>): KnownAgent | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    personId: row.personId,
    holderName: row.givenName ? `${row.givenName} ${row.surname}` : null,
  };
}

export function findAgentByDeviceToken(db: AppDatabase, token: string): KnownAgent | undefined {
  return toKnownAgent(
    knownAgentQuery(db)
      .where(eq(agents.deviceTokenHash, hashDeviceToken(token)))
      .get(),
  );
}

export function findAgentById(db: AppDatabase, agentId: string): KnownAgent | undefined {
  return toKnownAgent(knownAgentQuery(db).where(eq(agents.id, agentId)).get());
}

export function registerAgent(
  db: AppDatabase,
  input: { name: string; deviceToken: string; personId?: string | null },
): string {
  const id = newId();
  db.insert(agents)
    .values({
      id,
      name: input.name,
      deviceTokenHash: hashDeviceToken(input.deviceToken),
      personId: input.personId ?? null,
    })
    .run();
  return id;
}

export function openAgentSession(
  db: AppDatabase,
  input: { agentId: string; remoteAddress: string | null; at: Date },
): string {
  const id = newId();
  db.transaction((tx) => {
    tx.insert(agentSessions)
      .values({ id, agentId: input.agentId, connectedAt: input.at, remoteAddress: input.remoteAddress })
      .run();
    tx.update(agents).set({ lastSeenAt: input.at }).where(eq(agents.id, input.agentId)).run();
  });
  return id;
}

export function recordAgentVersion(db: AppDatabase, agentSessionId: string, agentVersion: string): void {
  db.update(agentSessions).set({ agentVersion }).where(eq(agentSessions.id, agentSessionId)).run();
}

export function closeAgentSession(db: AppDatabase, agentSessionId: string, at: Date): void {
  db.update(agentSessions)
    .set({ disconnectedAt: at })
    .where(and(eq(agentSessions.id, agentSessionId), isNull(agentSessions.disconnectedAt)))
    .run();
}

/** After a crash no socket is left open, so every session still marked open has ended. */
export function closeAllOpenAgentSessions(db: AppDatabase, at: Date): void {
  db.update(agentSessions).set({ disconnectedAt: at }).where(isNull(agentSessions.disconnectedAt)).run();
}
