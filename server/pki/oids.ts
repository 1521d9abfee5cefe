/**
 * Object identifiers of the test PKI. The private ones live under 1.2.752.999, an arc this project uses for
 * tests only (1.2.752 is Sweden's ISO member-body arc; 999 is not assigned to anyone we know of). Real SITHS
 * certificates use Inera's own arcs; nothing here must ever be mistaken for them.
 */
export const oid = {
  /** Subject attribute serialNumber (X.520): carries the HSA-id, as in SITHS. */
  subjectSerialNumber: '2.5.4.5',
  /** Private extension: the 19-digit card serial, PrintableString. On card and transport certificates. */
  cardSerial: '1.2.752.999.1.1',
  /** Private extension: the Mobile SITHS device, SEQUENCE { id UTF8String, name UTF8String }. */
  mobileDevice: '1.2.752.999.1.2',
  /** Certificate policies of the test CAs: one per trust level (tillitsnivå), one for transport certificates. */
  policyTrustLevel2: '1.2.752.999.2.2',
  policyTrustLevel3: '1.2.752.999.2.3',
  policyCardTransport: '1.2.752.999.2.9',
  /** Microsoft UPN otherName and the smart card logon key purpose. */
  userPrincipalName: '1.3.6.1.4.1.311.20.2.3',
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  /** id-PIV-cardAuth (SP 800-73-4): the card authentication key's purpose. */
  pivCardAuth: '2.16.840.1.101.3.6.8',
  crlNumber: '2.5.29.20',
} as const;

export const trustLevelPolicies = { 2: oid.policyTrustLevel2, 3: oid.policyTrustLevel3 } as const;

export function trustLevelOfPolicies(policies: readonly string[]): 2 | 3 | null {
  if (policies.includes(oid.policyTrustLevel3)) return 3;
  if (policies.includes(oid.policyTrustLevel2)) return 2;
  return null;
}
