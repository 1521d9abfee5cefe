import { describe, expect, it } from 'vitest';
import {
  canAccessUnit,
  hasAnyRole,
  type Principal,
  type RoleGrant,
  scopeRoles,
  visibleUnits,
} from './permissions';

// A small HSA tree: region > hospital > two clinics, and a second hospital.
const children: Record<string, string[]> = {
  region: ['sahlgrenska', 'skovde'],
  sahlgrenska: ['akuten', 'kardiologi'],
  skovde: ['ortopedi'],
};
async function expandSubtrees(unitIds: string[]): Promise<string[]> {
  const result = new Set<string>();
  const visit = (id: string) => {
    result.add(id);
    for (const child of children[id] ?? []) visit(child);
  };
  for (const id of unitIds) visit(id);
  return [...result];
}

async function principalWith(grants: RoleGrant[]): Promise<Principal> {
  return {
    userId: 'u1',
    username: 'someone',
    displayName: 'Someone',
    personId: null,
    sessionId: 's1',
    roles: await scopeRoles(grants, expandSubtrees),
  };
}

describe('unit scope of staff roles', () => {
  it('refuses a contact person of one unit access to another unit', async () => {
    const contactPerson = await principalWith([{ role: 'contact_person', unitId: 'sahlgrenska' }]);
    expect(canAccessUnit(contactPerson, 'sahlgrenska')).toBe(true);
    expect(canAccessUnit(contactPerson, 'skovde')).toBe(false);
    expect(canAccessUnit(contactPerson, 'ortopedi')).toBe(false);
    expect(canAccessUnit(contactPerson, 'region')).toBe(false);
  });

  it('reaches every sub-unit below an assigned unit', async () => {
    const manager = await principalWith([{ role: 'manager', unitId: 'sahlgrenska' }]);
    expect(canAccessUnit(manager, 'akuten')).toBe(true);
    expect(canAccessUnit(manager, 'kardiologi')).toBe(true);
    expect(visibleUnits(manager)).toEqual(expect.arrayContaining(['sahlgrenska', 'akuten', 'kardiologi']));
    expect(visibleUnits(manager)).toHaveLength(3);
  });

  it('checks the unit against the named roles only', async () => {
    const mixed = await principalWith([
      { role: 'manager', unitId: 'skovde' },
      { role: 'contact_person', unitId: 'akuten' },
    ]);
    expect(canAccessUnit(mixed, 'ortopedi', ['contact_person'])).toBe(false);
    expect(canAccessUnit(mixed, 'ortopedi', ['manager'])).toBe(true);
    expect(canAccessUnit(mixed, 'akuten', ['contact_person'])).toBe(true);
  });

  it('gives global roles every unit, also units created later', async () => {
    const support = await principalWith([{ role: 'support', unitId: null }]);
    expect(canAccessUnit(support, 'a-unit-nobody-has-seen')).toBe(true);
    expect(visibleUnits(support)).toBe('all');
    expect(canAccessUnit(support, 'akuten', ['manager'])).toBe(false);
  });

  it('has no access at all without roles', async () => {
    const nobody = await principalWith([]);
    expect(hasAnyRole(nobody, ['manager', 'support'])).toBe(false);
    expect(canAccessUnit(nobody, 'akuten')).toBe(false);
    expect(visibleUnits(nobody)).toEqual([]);
  });

  it('merges several units of the same role', async () => {
    const contactPerson = await principalWith([
      { role: 'contact_person', unitId: 'akuten' },
      { role: 'contact_person', unitId: 'ortopedi' },
    ]);
    expect(canAccessUnit(contactPerson, 'akuten')).toBe(true);
    expect(canAccessUnit(contactPerson, 'ortopedi')).toBe(true);
    expect(canAccessUnit(contactPerson, 'kardiologi')).toBe(false);
  });
});
