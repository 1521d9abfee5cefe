import type { DecodedCommandApdu } from '../pcsc/apdu.js';
import { SW } from '../pcsc/status-words.js';
import { ALGORITHM, OBJECT, PIV_AID, TAG } from '../piv/piv-constants.js';
import { decodeTlvs, encodeTlv, encodeTlvs, findTlv } from '../piv/tlv.js';
import type { AppletContext, Reply } from './applet-context.js';
import { objectKey } from './create-card.js';

const MIN_AID_PREFIX = 5;
const SELECT_BY_NAME = 0x04;
/** Objects only a verified PIN may read (SP 800-73-4 Part 1 table 3). */
const PIN_PROTECTED = new Set<number>([
  OBJECT.PRINTED_INFORMATION,
  OBJECT.FINGERPRINTS,
  OBJECT.FACIAL_IMAGE,
  OBJECT.IRIS_IMAGES,
]);

/** Application Property Template answered to SELECT (SP 800-73-4 Part 2 3.1.1). */
function applicationPropertyTemplate(): Buffer {
  const algorithms = [ALGORITHM.TDEA_3KEY, ALGORITHM.AES_128, ALGORITHM.RSA_2048, ALGORITHM.ECC_P256];
  return encodeTlv(
    TAG.APPLICATION_PROPERTY,
    Buffer.concat([
      encodeTlv(TAG.AID, PIV_AID.subarray(5)),
      encodeTlv(TAG.ALLOCATION_AUTHORITY, encodeTlv(TAG.AID, PIV_AID.subarray(0, 5))),
      encodeTlv(TAG.APPLICATION_LABEL, Buffer.from('SITHS virtual PIV', 'ascii')),
      encodeTlv(
        TAG.ALGORITHMS_SUPPORTED,
        Buffer.concat([...algorithms.map((id) => encodeTlv(0x80, Buffer.from([id]))), encodeTlv(0x06)]),
      ),
    ]),
  );
}

/** Discovery object: the PIV AID and a PIN usage policy of "PIV PIN only" (Part 1 3.3.2). */
function discoveryObject(): Buffer {
  return encodeTlv(
    OBJECT.DISCOVERY,
    encodeTlvs([TAG.AID, PIV_AID], [TAG.PIN_USAGE_POLICY, Buffer.from([0x40, 0x00])]),
  );
}

export function isPivAid(aid: Buffer): boolean {
  return (
    aid.length >= MIN_AID_PREFIX &&
    aid.length <= PIV_AID.length &&
    PIV_AID.subarray(0, aid.length).equals(aid)
  );
}

export function select(_context: AppletContext, command: DecodedCommandApdu): Reply {
  if (command.p1 !== SELECT_BY_NAME) return { sw: SW.INCORRECT_P1P2 };
  if (!isPivAid(command.data)) return { sw: SW.FILE_NOT_FOUND };
  return { data: applicationPropertyTemplate(), sw: SW.OK };
}

function requestedTag(data: Buffer): number | undefined {
  try {
    const list = findTlv(data, TAG.TAG_LIST);
    if (!list || list.length < 1 || list.length > 3) return undefined;
    return list.reduce((tag, byte) => (tag << 8) | byte, 0);
  } catch {
    return undefined;
  }
}

export function getData(context: AppletContext, command: DecodedCommandApdu): Reply {
  if (command.p1 !== 0x3f || command.p2 !== 0xff) return { sw: SW.INCORRECT_P1P2 };
  const tag = requestedTag(command.data);
  if (tag === undefined) return { sw: SW.WRONG_DATA };
  if (tag === OBJECT.DISCOVERY) return { data: discoveryObject(), sw: SW.OK };
  const stored = context.state.objects[objectKey(tag)];
  if (stored === undefined) return { sw: SW.FILE_NOT_FOUND };
  if (PIN_PROTECTED.has(tag) && !context.security.pinVerified)
    return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  return { data: encodeTlv(TAG.DATA, Buffer.from(stored, 'base64')), sw: SW.OK };
}

/** PUT DATA of a three-byte-tag object; needs the management key. An empty 53 deletes the object. */
export function putData(context: AppletContext, command: DecodedCommandApdu): Reply {
  if (command.p1 !== 0x3f || command.p2 !== 0xff) return { sw: SW.INCORRECT_P1P2 };
  if (!context.security.managementKeyAuthenticated) return { sw: SW.SECURITY_STATUS_NOT_SATISFIED };
  const tag = requestedTag(command.data);
  let value: Buffer | undefined;
  try {
    decodeTlvs(command.data);
    value = findTlv(command.data, TAG.DATA);
  } catch {
    return { sw: SW.WRONG_DATA };
  }
  if (tag === undefined || tag <= 0xffff || value === undefined) return { sw: SW.WRONG_DATA };
  if (value.length === 0) delete context.state.objects[objectKey(tag)];
  else context.state.objects[objectKey(tag)] = value.toString('base64');
  context.save();
  return { sw: SW.OK };
}
