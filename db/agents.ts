import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { AgentHolder, AgentHolderView, ConnectedAgentView } from '../protocol/support-events';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { newId } from './ids';
import { type IdentityViewer, reshownTo, seesEveryIdentity, shownTo } from './protected-identity';
import { agentSessions, agents, persons } from './schema';

export interface KnownAgent {
  id: string;
  name: string;
  personId: string | null;
  /**
   * The person the agent belongs to, as a holder of the right sees them: the registry serves every support
   * reader, and each page and socket shows it to its own (reshownTo).
   */
  holder: AgentHolderView | null;
  /** Taken out of service in the dashboard: refused at every connection. */
  revokedAt: Date | null;
}

/** A connected agent, as the registry holds it for every reader, as this viewer sees it. */
export function agentShownTo(viewer: IdentityViewer, agent: ConnectedAgentView): ConnectedAgentView {
  return agent.holder ? { ...agent, holder: reshownTo<AgentHolder>(viewer, agent.holder) } : agent;
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
      revokedAt: agents.revokedAt,
      givenName: persons.givenName,
      surname: persons.surname,
      protectedIdentity: persons.protectedIdentity,
    })
    .from(agents)
    .leftJoin(persons, eq(persons.id, agents.personId));
}

type KnownAgentRow = Awaited<ReturnType<typeof knownAgentQuery>>[number];

function toKnownAgent(row: KnownAgentRow | undefined): KnownAgent | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    personId: row.personId,
    revokedAt: row.revokedAt,
    holder:
      row.givenName === null
        ? null
        : shownTo(seesEveryIdentity, row.protectedIdentity ?? false, {
            name: `${row.givenName} ${row.surname}`,
          }),
  };
}

export async function findAgentByDeviceToken(
  db: AppDatabase,
  token: string,
): Promise<KnownAgent | undefined> {
  return toKnownAgent(
    first(
      await knownAgentQuery(db)
        .where(eq(agents.deviceTokenHash, hashDeviceToken(token)))
        .limit(1),
    ),
  );
}

export async function findAgentById(db: AppDatabase, agentId: string): Promise<KnownAgent | undefined> {
  return toKnownAgent(first(await knownAgentQuery(db).where(eq(agents.id, agentId)).limit(1)));
}

export async function registerAgent(
  db: AppDatabase,
  input: { name: string; deviceToken: string; personId?: string | null },
): Promise<string> {
  const id = newId();
  await db.insert(agents).values({
    id,
    name: input.name,
    deviceTokenHash: hashDeviceToken(input.deviceToken),
    personId: input.personId ?? null,
  });
  return id;
}

export async function openAgentSession(
  db: AppDatabase,
  input: { agentId: string; remoteAddress: string | null; at: Date },
): Promise<string> {
  const id = newId();
  await db.transaction(async (tx) => {
    // One agent has one live connection: a session left open by a server process that died ends now.
    await tx
      .update(agentSessions)
      .set({ disconnectedAt: input.at })
      .where(and(eq(agentSessions.agentId, input.agentId), isNull(agentSessions.disconnectedAt)));
    await tx
      .insert(agentSessions)
      .values({ id, agentId: input.agentId, connectedAt: input.at, remoteAddress: input.remoteAddress });
    await tx.update(agents).set({ lastSeenAt: input.at }).where(eq(agents.id, input.agentId));
  });
  return id;
}

/** What the agent said of itself in its hello: its version, host name and operating system. */
export async function recordAgentHello(
  db: AppDatabase,
  agentSessionId: string,
  hello: { agentVersion: string; hostname: string | null; os: string | null },
): Promise<void> {
  await db.update(agentSessions).set(hello).where(eq(agentSessions.id, agentSessionId));
}

export async function closeAgentSession(db: AppDatabase, agentSessionId: string, at: Date): Promise<void> {
  await db
    .update(agentSessions)
    .set({ disconnectedAt: at })
    .where(and(eq(agentSessions.id, agentSessionId), isNull(agentSessions.disconnectedAt)));
}

/** After a crash no socket is left open, so every session still marked open has ended. */
export async function closeAllOpenAgentSessions(db: AppDatabase, at: Date): Promise<void> {
  await db.update(agentSessions).set({ disconnectedAt: at }).where(isNull(agentSessions.disconnectedAt));
}
