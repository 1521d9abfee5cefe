import { buildDemoDataset } from '../../db/seed';
import { personEntryLdif, unitDn, unitEntryLdif } from './ldif';

/**
 * The demo region as a directory: Västra Götalandsregionen (the root unit, an organisation) directly below the
 * suffix, each further unit as an organisational unit below its parent, and each person below the first unit
 * they are placed in, their further units in hsaWorksInUnit. Built from the same dataset as the demo database,
 * so a sync of this directory into a freshly seeded database finds every unit and person as they are.
 *
 * The suffix entry itself (and the sync account) belong to the server, not to the region: startSlapd writes them.
 */
export function demoRegionLdif(now: Date, suffix = 'c=SE'): string {
  const dataset = buildDemoDataset(now);
  const unitsById = new Map(dataset.units.map((unit) => [unit.id, unit]));
  const parentDnOf = (unitId: string): string => {
    const parentId = unitsById.get(unitId)?.parentId;
    return parentId ? dnOf(parentId) : suffix;
  };
  const dnOf = (unitId: string): string => {
    const unit = unitsById.get(unitId);
    if (!unit) throw new Error(`The demo dataset has no unit ${unitId}`);
    return unitDn({ parentDn: parentDnOf(unitId), isOrganisation: !unit.parentId, name: unit.name });
  };
  const depthOf = (unitId: string): number => {
    const parentId = unitsById.get(unitId)?.parentId;
    return parentId ? 1 + depthOf(parentId) : 0;
  };

  const records: string[] = [];
  // Parents before children, whatever order the dataset lists units in: slapadd and ldapadd need that.
  for (const unit of [...dataset.units].sort((a, b) => depthOf(a.id) - depthOf(b.id))) {
    records.push(
      unitEntryLdif({
        parentDn: parentDnOf(unit.id),
        isOrganisation: !unit.parentId,
        hsaId: unit.hsaId,
        name: unit.name,
      }),
    );
  }

  const unitIdsByPerson = new Map<string, string[]>();
  for (const { personId, unitId } of dataset.personUnits) {
    unitIdsByPerson.set(personId, [...(unitIdsByPerson.get(personId) ?? []), unitId]);
  }
  for (const person of dataset.persons) {
    const [placedIn, ...worksAlsoIn] = unitIdsByPerson.get(person.id) ?? [];
    if (!placedIn) throw new Error(`Demo person ${person.hsaId} is placed in no unit`);
    records.push(
      personEntryLdif({
        unitDn: dnOf(placedIn),
        hsaId: person.hsaId,
        givenName: person.givenName,
        surname: person.surname,
        personalIdentityNumber: person.personalIdentityNumber,
        mail: person.email,
        otherUnitHsaIds: worksAlsoIn.map((unitId) => unitsById.get(unitId)?.hsaId ?? unitId),
        protectedIdentity: person.protectedIdentity ?? false,
      }),
    );
  }
  return records.join('');
}
