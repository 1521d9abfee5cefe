import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DecodedCommandApdu } from '../pcsc/apdu.js';
import { SW } from '../pcsc/status-words.js';
import {
  decryptBlock,
  encryptBlock,
  managementKeyAlgorithmId,
  managementKeyBlockSize,
} from '../piv/management-key.js';
import {
  KEY_ALGORITHM_ID,
  KEY_REF,
  type KeyAlgorithm,
  type PivSlot,
  SLOTS,
  TAG,
} from '../piv/piv-constants.js';
import { encodePublicKeyTemplate } from '../piv/public-key.js';
import { decodeTlvs, encodeTlv, findTlv } from '../piv/tlv.js';
import type { AppletContext, Reply } from './applet-context.js';
import { generateCardKey, privateOperation } from './card-keys.js';
import { managementKeyOf } from './card-state.js';

const slotOf = (keyRef: number): PivSlot | undefined =>
  SLOTS.find((slot) => slot === keyRef.toString(16).padStart(2, '0'));

const algorithmOf = (id: number): KeyAlgorithm | undefined =>
  (Object.keys(KEY_ALGORITHM_ID) as KeyAlgorithm[]).find((name) => KEY_ALGORITHM_ID[name] === id);

/** GENERATE ASYMMETRIC KEY PAIR (Part 2 3.3.2): P2 the slot, data AC { 80 algorithm }. */
export function generateAsymmetricKeyPair(context: AppletContext, command: DecodedCommandApdu): Reply {
  const slot = slotOf(command.p2);
  if (command.p1 !== 0 || !slot) return { sw: SW.INCORRECT_P1P2 };
  if (!context.security.managementKeyAuthenticated) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  let algorithmId: number | undefined;
  try {
    algorithmId = findTlv(
      findTlv(command.data, TAG.KEY_GEN_TEMPLATE) ?? Buffer.alloc(0),
      TAG.KEY_GEN_ALGORITHM,
    )?.[0];
  } catch {
    return { sw: SW.WRONG_DATA };
  }
  const algorithm = algorithmId === undefined ? undefined : algorithmOf(algorithmId);
  if (!algorithm) return { sw: SW.WRONG_DATA };
  const { stored, publicKey } = generateCardKey(algorithm);
  context.state.keys[slot] = stored;
  context.save();
  return { data: encodePublicKeyTemplate(publicKey), sw: SW.OK };
}

function dynamicTemplate(data: Buffer): Map<number, Buffer> | undefined {
  try {
    const inner = findTlv(data, TAG.DYNAMIC_AUTH);
    return inner ? new Map(decodeTlvs(inner).map(({ tag, value }) => [tag, value])) : undefined;
  } catch {
    return undefined;
  }
}

/** GENERAL AUTHENTICATE: management-key authentication on 9B, signing on the key slots. */
export function generalAuthenticate(context: AppletContext, command: DecodedCommandApdu): Reply {
  const template = dynamicTemplate(command.data);
  if (!template) return { sw: SW.WRONG_DATA };
  if (command.p2 === KEY_REF.MANAGEMENT) return authenticateManagementKey(context, command.p1, template);
  const slot = slotOf(command.p2);
  if (!slot) return { sw: SW.INCORRECT_P1P2 };
  return signWithSlot(context, slot, command.p1, template);
}

function signWithSlot(
  context: AppletContext,
  slot: PivSlot,
  algorithmId: number,
  template: Map<number, Buffer>,
): Reply {
  const key = context.state.keys[slot];
  if (!key) return { sw: SW.REFERENCE_NOT_FOUND };
  if (KEY_ALGORITHM_ID[key.algorithm] !== algorithmId) return { sw: SW.INCORRECT_P1P2 };
  const { security } = context;
  const pinSatisfied =
    slot === '9e' || (security.pinVerified && (slot !== '9c' || !security.pinUsedForAlwaysSlot));
  if (!pinSatisfied) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  const input = template.get(TAG.CHALLENGE);
  if (!input || template.get(TAG.RESPONSE)?.length !== 0) return { sw: SW.WRONG_DATA };
  const signature = privateOperation(key, input);
  if (!signature) return { sw: SW.WRONG_DATA };
  if (slot === '9c') security.pinUsedForAlwaysSlot = true;
  return { data: encodeTlv(TAG.DYNAMIC_AUTH, encodeTlv(TAG.RESPONSE, signature)), sw: SW.OK };
}

/**
 * Mutual (80 then 80+81) or external (81 then 82) authentication with the 9B key, SP 800-73-4
 * Part 2 appendix A. Any misstep forgets the pending state, so a wrong key costs a fresh start.
 */
function authenticateManagementKey(
  context: AppletContext,
  algorithmId: number,
  template: Map<number, Buffer>,
): Reply {
  const { security } = context;
  const key = managementKeyOf(context.state);
  if (managementKeyAlgorithmId(key.algorithm) !== algorithmId) return { sw: SW.INCORRECT_P1P2 };
  const blockSize = managementKeyBlockSize(key.algorithm);
  const witness = template.get(TAG.WITNESS);
  const challenge = template.get(TAG.CHALLENGE);
  const response = template.get(TAG.RESPONSE);
  const { pendingWitness, pendingChallenge } = security;
  security.pendingWitness = undefined;
  security.pendingChallenge = undefined;
  security.managementKeyAuthenticated = false;
  if (witness?.length === 0 && !challenge) {
    security.pendingWitness = randomBytes(blockSize);
    return {
      data: encodeTlv(TAG.DYNAMIC_AUTH, encodeTlv(TAG.WITNESS, encryptBlock(key, security.pendingWitness))),
      sw: SW.OK,
    };
  }
  if (witness && challenge?.length === blockSize) {
    if (!pendingWitness || !sameBytes(witness, pendingWitness))
      return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    security.managementKeyAuthenticated = true;
    return {
      data: encodeTlv(TAG.DYNAMIC_AUTH, encodeTlv(TAG.RESPONSE, encryptBlock(key, challenge))),
      sw: SW.OK,
    };
  }
  if (challenge?.length === 0 && !witness) {
    security.pendingChallenge = randomBytes(blockSize);
    return {
      data: encodeTlv(TAG.DYNAMIC_AUTH, encodeTlv(TAG.CHALLENGE, security.pendingChallenge)),
      sw: SW.OK,
    };
  }
  if (response?.length === blockSize && pendingChallenge) {
    if (!sameBytes(decryptBlock(key, response), pendingChallenge))
      return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
    security.managementKeyAuthenticated = true;
    return { sw: SW.OK };
  }
  return { sw: SW.WRONG_DATA };
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
