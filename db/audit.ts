import type { AppDatabase } from './connection';
import { type AuditOutcome, auditEvents } from './schema';

export interface AuditEntry {
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  objectType: string;
  objectId?: string | null;
  unitId?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** Appends one audit event. The table refuses updates and deletes, so this is the only write there is. */
export function recordAudit(db: AppDatabase, entry: AuditEntry): void {
  db.insert(auditEvents)
    .values({
      actorUserId: entry.actorUserId,
      actorLabel: entry.actorLabel,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      unitId: entry.unitId ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    })
    .run();
}
