/**
 * A large HSA-style region for the directory sync benchmark: an organisation, areas (hospitals), clinics
 * below each area and care units below the clinics, and persons below the care units. Everything valid, so a
 * sync applies every entry: unique HSA-ids, unique personnummer with a correct check digit, names from the
 * demo lists, mail for most, ~1% protected identities and ~2% working in a second unit. Deterministic, so
 * every run and both engines see the same directory.
 */
import { demoGivenNames, demoSurnames, personalIdentityNumber, vgregionEmail } from '../db/demo-fixtures';
import {
  personDn,
  personEntryLdif,
  replaceAttributesLdif,
  unitDn,
  unitEntryLdif,
} from '../server/directory/ldif';

export interface RegionSize {
  units: number;
  persons: number;
}

export interface RegionPerson {
  dn: string;
  givenName: string;
  surname: string;
}

export interface BenchRegion {
  rootDn: string;
  persons: RegionPerson[];
  units: number;
  protectedPersons: number;
  personsInTwoUnits: number;
  personsWithMail: number;
}

const organisation = 'Benchregionen';
const hsaPrefix = 'SE2321000131-';
const clinicsPerArea = 8;
const dayMs = 86_400_000;
const givenNames: readonly string[] = [...demoGivenNames.female, ...demoGivenNames.male];
const surnames: readonly string[] = demoSurnames;

/** Deterministic PRNG (mulberry32), as in the order list benchmark. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface CareUnit {
  dn: string;
  hsaId: string;
}

/** Root, areas (one per 50 units) and their clinics, then care units spread over the clinics. */
function unitTree(size: RegionSize, suffix: string, records: string[]): CareUnit[] {
  let unitNumber = 0;
  const add = (parentDn: string, isOrganisation: boolean, name: string): CareUnit => {
    const hsaId = `${hsaPrefix}S${String(unitNumber++).padStart(9, '0')}`;
    records.push(unitEntryLdif({ parentDn, isOrganisation, hsaId, name }));
    return { dn: unitDn({ parentDn, isOrganisation, name }), hsaId };
  };
  const root = add(suffix, true, organisation);
  const areaCount = Math.max(1, Math.round(size.units / 50));
  const clinics: CareUnit[] = [];
  for (let area = 1; area <= areaCount; area++) {
    const areaUnit = add(root.dn, false, `Område ${area}`);
    for (let clinic = 1; clinic <= clinicsPerArea; clinic++) {
      clinics.push(add(areaUnit.dn, false, `Klinik ${clinic} område ${area}`));
    }
  }
  const careUnitCount = size.units - unitNumber;
  if (careUnitCount < 1) throw new Error(`${size.units} units are too few for ${areaCount} areas`);
  const careUnits: CareUnit[] = [];
  for (let index = 0; index < careUnitCount; index++) {
    const clinic = clinics[index % clinics.length] as CareUnit;
    careUnits.push(add(clinic.dn, false, `Vårdenhet ${index + 1}`));
  }
  return careUnits;
}

/** The region, and its entries below the suffix as LDIF (parents before children): what slapadd loads. */
export function buildRegion(size: RegionSize, suffix = 'c=SE'): { region: BenchRegion; ldif: string } {
  const next = random(15);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const records: string[] = [];
  const careUnits = unitTree(size, suffix, records);
  const persons: RegionPerson[] = [];
  let protectedPersons = 0;
  let personsInTwoUnits = 0;
  let personsWithMail = 0;
  for (let index = 0; index < size.persons; index++) {
    // 20,000 birth dates from 1950 on, then the next birth number: unique for up to 20 million persons.
    const birthDate = new Date(Date.UTC(1950, 0, 1) + (index % 20_000) * dayMs)
      .toISOString()
      .slice(0, 10)
      .replaceAll('-', '');
    const givenName = pick(givenNames);
    const surname = pick(surnames);
    const unitIndex = index % careUnits.length;
    const unit = careUnits[unitIndex] as CareUnit;
    const hsaId = `${hsaPrefix}P${String(index).padStart(9, '0')}`;
    const hasMail = index % 10 !== 7;
    const protectedIdentity = index % 100 === 13;
    const secondUnit = index % 50 === 29 && careUnits.length > 1;
    if (hasMail) personsWithMail += 1;
    if (protectedIdentity) protectedPersons += 1;
    if (secondUnit) personsInTwoUnits += 1;
    records.push(
      personEntryLdif({
        unitDn: unit.dn,
        hsaId,
        givenName,
        surname,
        personalIdentityNumber: personalIdentityNumber(birthDate, Math.floor(index / 20_000) + 1),
        mail: hasMail ? vgregionEmail(givenName, surname, `.${index}`) : null,
        otherUnitHsaIds: secondUnit
          ? [(careUnits[(unitIndex + 1) % careUnits.length] as CareUnit).hsaId]
          : [],
        protectedIdentity,
      }),
    );
    persons.push({ dn: personDn({ unitDn: unit.dn, hsaId }), givenName, surname });
  }
  const region: BenchRegion = {
    rootDn: unitDn({ parentDn: suffix, isOrganisation: true, name: organisation }),
    persons,
    units: size.units,
    protectedPersons,
    personsInTwoUnits,
    personsWithMail,
  };
  return { region, ldif: records.join('') };
}

/**
 * Change records for `count` persons spread evenly over the region: a new surname and mail for each. `round`
 * shifts both the persons and the new names, so a later round changes something again.
 */
export function surnameChangesLdif(region: BenchRegion, count: number, round: number): string {
  const stride = Math.max(1, Math.floor(region.persons.length / count));
  const records: string[] = [];
  for (let changed = 0; changed < count; changed++) {
    const index = (changed * stride + round) % region.persons.length;
    const person = region.persons[index] as RegionPerson;
    const surnameIndex = (surnames.indexOf(person.surname) + 1 + round) % surnames.length;
    let surname = surnames[surnameIndex] as string;
    if (surname === person.surname) surname = surnames[(surnameIndex + 1) % surnames.length] as string;
    person.surname = surname;
    records.push(
      replaceAttributesLdif(person.dn, {
        sn: surname,
        mail: vgregionEmail(person.givenName, surname, `.${index}`),
      }),
    );
  }
  return records.join('');
}
