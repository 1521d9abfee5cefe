import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryFault, type DirectoryFaultCode, type DirectorySnapshot } from '../../db/directory-entries';
import { buildDemoDataset, demoPersons, demoRootUnitHsaId } from '../../db/seed';
import { freePort } from '../../test-support/processes';
import { type Slapd, startSlapd } from '../../test-support/slapd';
import { demoRegionLdif } from './demo-region-ldif';
import { createLdapDirectory, type LdapDirectorySettings } from './ldap-directory';
import { personDn, personEntryLdif, replaceAttributesLdif, unitDn, unitEntryLdif } from './ldif';

const now = new Date('2026-12-03T08:15:00Z');
const dataset = buildDemoDataset(now);
let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ ldif: demoRegionLdif(now) });
});

afterAll(async () => {
  await slapd?.stop();
});

function readDirectory(
  settings: Partial<LdapDirectorySettings> = {},
  personsModifiedSince: string | null = null,
): Promise<DirectorySnapshot> {
  return createLdapDirectory({
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    baseDn: slapd.suffix,
    timeoutMs: 5_000,
    ...settings,
  }).read({ personsModifiedSince });
}

async function faultOf(read: Promise<unknown>): Promise<DirectoryFault> {
  const error = await read.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DirectoryFault);
  return error as DirectoryFault;
}

let organisations = 0;
/** A tree of its own below the suffix, so each test reads only what it made (the read's base DN). */
async function addOrganisation(name: string): Promise<{ dn: string; hsaId: string }> {
  organisations += 1;
  const hsaId = `SE2321000131-E9${String(organisations).padStart(10, '0')}`;
  await slapd.add(unitEntryLdif({ parentDn: slapd.suffix, isOrganisation: true, hsaId, name }));
  return { dn: unitDn({ parentDn: slapd.suffix, isOrganisation: true, name }), hsaId };
}

async function addUnit(parentDn: string, name: string, hsaId: string): Promise<string> {
  await slapd.add(unitEntryLdif({ parentDn, isOrganisation: false, hsaId, name }));
  return unitDn({ parentDn, isOrganisation: false, name });
}

const testPerson = (unitDn: string, number: number) => ({
  unitDn,
  hsaId: `TSTNMT2321000156-9${String(number).padStart(5, '0')}`,
  givenName: 'Testa',
  surname: `Person ${number}`,
  personalIdentityNumber: '199001019802',
  mail: `testa.person${number}@example.se`,
});

/** The next whole second after a generalized time of slapd's shape (20261203081500Z). */
function secondAfter(timestamp: string): string {
  const [, year, month, day, hour, minute, second] =
    /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(timestamp) ?? [];
  const next = new Date(Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second! + 1));
  return `${next.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

describe('the LDAP directory reader', () => {
  it('reads every unit and person of the demo region exactly as the demo database has them', async () => {
    const regionDn = unitDn({
      parentDn: slapd.suffix,
      isOrganisation: true,
      name: 'Västra Götalandsregionen',
    });
    const snapshot = await readDirectory({ baseDn: regionDn });

    expect(snapshot.units).toHaveLength(dataset.units.length);
    expect(snapshot.persons).toHaveLength(dataset.persons.length);
    expect(snapshot.newestModifyTimestamp).toMatch(/^\d{14}Z$/);

    const unitsByDn = new Map(snapshot.units.map((unit) => [unit.dn, unit]));
    const readUnitsByHsaId = new Map(snapshot.units.map((unit) => [unit.hsaId, unit]));
    const seededUnitsById = new Map(dataset.units.map((unit) => [unit.id, unit]));
    for (const seeded of dataset.units) {
      const read = readUnitsByHsaId.get(seeded.hsaId);
      expect(read?.name).toBe(seeded.name);
      expect(read?.isOrganisation).toBe(seeded.parentId === null);
      const parentHsaId = seeded.parentId ? seededUnitsById.get(seeded.parentId)?.hsaId : undefined;
      expect(read && unitsByDn.get(read.parentDn)?.hsaId).toBe(parentHsaId);
    }
    expect(readUnitsByHsaId.get(demoRootUnitHsaId)?.parentDn).toBe('c=SE');

    const readPersonsByHsaId = new Map(snapshot.persons.map((person) => [person.hsaId, person]));
    const unitOfPerson = new Map(dataset.personUnits.map((row) => [row.personId, row.unitId]));
    for (const seeded of dataset.persons) {
      const read = readPersonsByHsaId.get(seeded.hsaId);
      expect(read).toMatchObject({
        personalIdentityNumber: seeded.personalIdentityNumber,
        givenName: seeded.givenName,
        surname: seeded.surname,
        mail: seeded.email ?? undefined,
        otherUnitHsaIds: [],
        protectedIdentity: seeded.protectedIdentity ?? false,
      });
      const placedIn = seededUnitsById.get(unitOfPerson.get(seeded.id) ?? '');
      expect(read && unitsByDn.get(read.parentDn)?.hsaId).toBe(placedIn?.hsaId);
    }
  });

  it('gives a named person and a unit their fields and DNs, å, ä and ö intact', async () => {
    const snapshot = await readDirectory();
    const carina = snapshot.persons.find((person) => person.hsaId === demoPersons.carina.hsaId);
    expect(carina).toEqual({
      dn: `hsaIdentity=${demoPersons.carina.hsaId},ou=Akutmottagning Sahlgrenska,ou=Sahlgrenska Universitetssjukhuset,o=Västra Götalandsregionen,c=SE`,
      parentDn:
        'ou=Akutmottagning Sahlgrenska,ou=Sahlgrenska Universitetssjukhuset,o=Västra Götalandsregionen,c=SE',
      hsaId: demoPersons.carina.hsaId,
      personalIdentityNumber: demoPersons.carina.personalIdentityNumber,
      givenName: 'Carina',
      surname: 'Svensson Andersson',
      mail: demoPersons.carina.email,
      otherUnitHsaIds: [],
      protectedIdentity: false,
      modifyTimestamp: expect.stringMatching(/^\d{14}Z$/),
    });
    const kungalv = snapshot.units.find((unit) => unit.name === 'Närhälsan Vårdcentral Kungälv');
    expect(kungalv).toMatchObject({
      dn: 'ou=Närhälsan Vårdcentral Kungälv,ou=Närhälsan,o=Västra Götalandsregionen,c=SE',
      parentDn: 'ou=Närhälsan,o=Västra Götalandsregionen,c=SE',
      isOrganisation: false,
      hsaId: 'SE2321000131-S000000020229',
    });
  });

  it('reads protected identity, further units, missing attributes and escaped commas in DNs', async () => {
    const organisation = await addOrganisation('Region Ängsö');
    const unit = await addUnit(organisation.dn, 'Vård, omsorg och ÄO', 'SE2321000131-S900000000001');
    const protectedPerson = {
      ...testPerson(unit, 1),
      givenName: 'Åsa',
      surname: 'Öberg-Ängström',
      protectedIdentity: true,
      otherUnitHsaIds: ['SE2321000131-S000000010112', 'SE2321000131-S000000010127'],
    };
    const withoutMail = { ...testPerson(unit, 2), mail: null, personalIdentityNumber: null };
    await slapd.add(personEntryLdif(protectedPerson) + personEntryLdif(withoutMail));

    const snapshot = await readDirectory({ baseDn: organisation.dn });

    // slapd hands the comma back as \2C: DNs compare as one read spells them, not as we built them.
    const readUnit = snapshot.units.find((read) => read.hsaId === 'SE2321000131-S900000000001');
    expect(readUnit).toMatchObject({
      dn: 'ou=Vård\\2C omsorg och ÄO,o=Region Ängsö,c=SE',
      parentDn: 'o=Region Ängsö,c=SE',
      name: 'Vård, omsorg och ÄO',
    });
    expect(snapshot.persons.find((read) => read.hsaId === protectedPerson.hsaId)).toMatchObject({
      parentDn: readUnit?.dn,
      givenName: 'Åsa',
      surname: 'Öberg-Ängström',
      protectedIdentity: true,
      otherUnitHsaIds: protectedPerson.otherUnitHsaIds,
    });
    expect(snapshot.persons.find((read) => read.hsaId === withoutMail.hsaId)).toMatchObject({
      mail: undefined,
      personalIdentityNumber: undefined,
      protectedIdentity: false,
      otherUnitHsaIds: [],
    });
  });

  it('reads incrementally only the persons modified at or after the given time, and every unit', async () => {
    const organisation = await addOrganisation('Region Inkrement');
    const unit = await addUnit(organisation.dn, 'Vårdcentral Inkrement', 'SE2321000131-S900000000002');
    const unchanged = testPerson(unit, 3);
    const changed = testPerson(unit, 4);
    await slapd.add(personEntryLdif(unchanged) + personEntryLdif(changed));
    const before = await readDirectory({ baseDn: organisation.dn });
    const created = before.newestModifyTimestamp ?? '';

    // modifyTimestamp counts whole seconds.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await slapd.modify(replaceAttributesLdif(personDn(changed), { mail: 'ny.adress@example.se' }));

    const after = await readDirectory({ baseDn: organisation.dn }, secondAfter(created));
    expect(after.units.map((read) => read.hsaId).sort()).toEqual([
      organisation.hsaId,
      'SE2321000131-S900000000002',
    ]);
    expect(after.persons).toEqual([
      expect.objectContaining({ hsaId: changed.hsaId, mail: 'ny.adress@example.se' }),
    ]);
    expect(after.newestModifyTimestamp).toBe(after.persons[0]?.modifyTimestamp);
    expect(after.newestModifyTimestamp! > created).toBe(true);

    const sameSecond = await readDirectory({ baseDn: organisation.dn }, created);
    expect(sameSecond.persons.map((read) => read.hsaId).sort()).toEqual([unchanged.hsaId, changed.hsaId]);
  });

  it('shows a unit moved under another parent with its new parent DN, its persons moved along', async () => {
    const organisation = await addOrganisation('Region Flytt');
    const from = await addUnit(organisation.dn, 'Gamla kliniken', 'SE2321000131-S900000000003');
    const to = await addUnit(organisation.dn, 'Nya kliniken', 'SE2321000131-S900000000004');
    const moved = await addUnit(from, 'Mottagning Flyttad', 'SE2321000131-S900000000005');
    const person = testPerson(moved, 5);
    await slapd.add(personEntryLdif(person));

    await slapd.moveEntry(moved, to);

    const snapshot = await readDirectory({ baseDn: organisation.dn });
    const movedDn = `ou=Mottagning Flyttad,${to}`;
    expect(snapshot.units.find((unit) => unit.hsaId === 'SE2321000131-S900000000005')).toMatchObject({
      dn: movedDn,
      parentDn: to,
    });
    expect(snapshot.persons.find((read) => read.hsaId === person.hsaId)?.parentDn).toBe(movedDn);
  });

  it("reads in pages past slapd's default size limit of 500 entries", async () => {
    const organisation = await addOrganisation('Region Många');
    const unit = await addUnit(organisation.dn, 'Stor vårdcentral', 'SE2321000131-S900000000006');
    const count = 1_200;
    await slapd.add(
      Array.from({ length: count }, (_, index) => personEntryLdif(testPerson(unit, 1_000 + index))).join(''),
    );

    const snapshot = await readDirectory({ baseDn: organisation.dn, pageSize: 250 });

    expect(snapshot.persons).toHaveLength(count);
    expect(new Set(snapshot.persons.map((person) => person.hsaId)).size).toBe(count);
  });

  it('fails as invalid_credentials on a wrong password, without the password in the message', async () => {
    const fault = await faultOf(readDirectory({ bindPassword: 'not-the-password' }));
    expect(fault.code).toBe<DirectoryFaultCode>('invalid_credentials');
    expect(fault.message).not.toContain('not-the-password');
  });

  it('fails as search_failed when the base DN does not exist', async () => {
    const fault = await faultOf(readDirectory({ baseDn: 'o=Finns inte,c=SE' }));
    expect(fault.code).toBe<DirectoryFaultCode>('search_failed');
  });

  it('fails as timeout when the server takes the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const fault = await faultOf(readDirectory({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300 }));
      expect(fault.code).toBe<DirectoryFaultCode>('timeout');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('fails as unreachable while the server is down, and reads again once it is back', async () => {
    await slapd.stopServer();
    try {
      const fault = await faultOf(readDirectory());
      expect(fault.code).toBe<DirectoryFaultCode>('unreachable');
    } finally {
      await slapd.startServer();
    }
    expect((await readDirectory()).units.length).toBeGreaterThanOrEqual(dataset.units.length);
  });
});
