import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { StaffRole } from '../protocol/domain-values';

/**
 * Protected identities (skyddade personuppgifter): the one rule of who sees them. Only a viewer with the
 * right (the protected_identity_viewer role) sees such a person's name, HSA-id, personnummer, e-mail and
 * units; everyone else sees "Skyddad identitet" in lists and finds nobody when searching. Every read that
 * shows persons to staff takes the viewer explicitly, and masks here, so no page can forget it.
 */
export interface IdentityViewer {
  seesProtectedIdentities: boolean;
}

/** The viewer holding these roles: the right is a role of its own, protected_identity_viewer. */
export function identityViewerHolding(roles: Iterable<StaffRole>): IdentityViewer {
  return { seesProtectedIdentities: [...roles].includes('protected_identity_viewer') };
}

/** A viewer who sees every identity: reads for the person themself and for holders of the right. */
export const seesEveryIdentity: IdentityViewer = { seesProtectedIdentities: true };

/** A protected identity as a viewer without the right gets it: that it is one, and nothing else. */
export interface HiddenIdentity {
  hidden: true;
}

/** A person's details as shown to a viewer: hidden, or all of them with whether they are protected (the badge). */
export type ShownIdentity<T> = HiddenIdentity | (T & { hidden: false; protectedIdentity: boolean });

export function isHiddenFrom(viewer: IdentityViewer, protectedIdentity: boolean | number): boolean {
  return Boolean(protectedIdentity) && !viewer.seesProtectedIdentities;
}

/** The person's details, or only that they are hidden from this viewer. */
export function shownTo<T extends object>(
  viewer: IdentityViewer,
  protectedIdentity: boolean | number,
  details: T,
): ShownIdentity<T> {
  if (isHiddenFrom(viewer, protectedIdentity)) return { hidden: true };
  return { ...details, hidden: false, protectedIdentity: Boolean(protectedIdentity) };
}

/**
 * Details read for one viewer, as another sees them: never more than either may. A view built once for every
 * reader (support's live agents and jobs) is read with seesEveryIdentity and shown through this to each.
 */
export function reshownTo<T extends object>(
  viewer: IdentityViewer,
  shown: ShownIdentity<T>,
): ShownIdentity<T> {
  if (shown.hidden) return shown;
  const { hidden: _hidden, protectedIdentity, ...details } = shown;
  // The rest of a shown identity is its details.
  return shownTo(viewer, protectedIdentity, details as unknown as T);
}

/**
 * The condition a search adds so that a viewer without the right never finds a protected identity, by name
 * or by identifier; undefined (no condition) for holders. `column` is persons.protected_identity, 0 or 1 on
 * both engines.
 */
export function findableBy(viewer: IdentityViewer, column: SQLWrapper): SQL | undefined {
  return viewer.seesProtectedIdentities ? undefined : sql`${column} = 0`;
}

/** A viewer without the right: what a read assumes when not told otherwise. */
export const seesNoProtectedIdentity: IdentityViewer = { seesProtectedIdentities: false };
