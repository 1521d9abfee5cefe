import { describe, expect, it } from 'vitest';
import { childDn, escapeDnValue, parentDnOf, splitDn } from './dn';

describe('distinguished names', () => {
  it('escapes the characters RFC 4514 reserves, and spaces and # only where they would be misread', () => {
    expect(escapeDnValue('Vård, omsorg + ÄO')).toBe('Vård\\, omsorg \\+ ÄO');
    expect(escapeDnValue('a\\b="c";<d>')).toBe('a\\\\b\\=\\"c\\"\\;\\<d\\>');
    expect(escapeDnValue('#1 Mottagning ')).toBe('\\#1 Mottagning\\ ');
    expect(escapeDnValue(' ')).toBe('\\ ');
    expect(escapeDnValue('Mottagning #1')).toBe('Mottagning #1');
  });

  it('splits off the first RDN at the first comma that is not part of a value', () => {
    expect(splitDn('ou=Vård\\, omsorg,o=Region,c=SE')).toEqual({
      rdn: 'ou=Vård\\, omsorg',
      parentDn: 'o=Region,c=SE',
    });
    expect(parentDnOf('ou=Vård\\2C omsorg,o=Region,c=SE')).toBe('o=Region,c=SE');
    expect(parentDnOf('ou=a\\\\,o=Region,c=SE')).toBe('o=Region,c=SE');
    expect(parentDnOf('ou="Vård, omsorg",c=SE')).toBe('c=SE');
    expect(parentDnOf('c=SE')).toBe('');
  });

  it('builds a child DN whose parent is the DN it was built under', () => {
    const dn = childDn('ou', 'Akut, vuxen', 'o=Västra Götalandsregionen,c=SE');
    expect(dn).toBe('ou=Akut\\, vuxen,o=Västra Götalandsregionen,c=SE');
    expect(parentDnOf(dn)).toBe('o=Västra Götalandsregionen,c=SE');
  });
});
