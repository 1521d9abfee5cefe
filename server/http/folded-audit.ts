import { type AuditEntry, type AuditWriter, recordAudit } from '../../db/audit';

export interface FoldedAudit {
  /**
   * Records `entry` unless a row with the same `foldKey` was written within the window; repeats in
   * between are counted and the next row carries their number (`detail.repeats`).
   */
  record(foldKey: string, entry: AuditEntry): void;
}

/**
 * Anonymous refusals cost the sender nothing, so each must not cost a database write: one row per key
 * (say address and reason) per window. The map is bounded; a flood of new keys past the bound is not
 * written until the window has let old keys go, so the audit table cannot be used to fill the disk.
 */
export function createFoldedAudit(
  db: AuditWriter,
  options: { windowMs?: number; maxKeys?: number; now?: () => number } = {},
): FoldedAudit {
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const written = new Map<string, { at: number; repeats: number }>();

  const forgetExpired = (time: number) => {
    for (const [key, fold] of written) if (time - fold.at >= windowMs) written.delete(key);
  };

  return {
    record(foldKey, entry) {
      const time = now();
      const fold = written.get(foldKey);
      if (fold && time - fold.at < windowMs) {
        fold.repeats++;
        return;
      }
      if (!fold && written.size >= maxKeys) {
        forgetExpired(time);
        if (written.size >= maxKeys) return;
      }
      const repeats = fold?.repeats ?? 0;
      written.set(foldKey, { at: time, repeats: 0 });
      recordAudit(db, repeats ? { ...entry, detail: { ...entry.detail, repeats } } : entry);
    },
  };
}
