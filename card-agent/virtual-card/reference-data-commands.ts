import type { DecodedCommandApdu } from '../pcsc/apdu.js';
import { pinTriesSw, SW } from '../pcsc/status-words.js';
import { decodePinBlock, PIN_BLOCK_LENGTH } from '../piv/pin.js';
import { KEY_REF } from '../piv/piv-constants.js';
import type { AppletContext, Reply } from './applet-context.js';
import { matchesReferenceData, newReferenceData, type ReferenceData } from './card-state.js';

const RESET_SECURITY_STATUS = 0xff;

/** Counts a try against the reference data, persisting before the answer leaves the card. */
function check(context: AppletContext, reference: ReferenceData, secret: string): Reply | undefined {
  if (reference.triesLeft === 0) return { sw: SW.AUTH_METHOD_BLOCKED };
  if (matchesReferenceData(reference, secret)) {
    reference.triesLeft = reference.maxTries;
    context.save();
    return undefined;
  }
  reference.triesLeft -= 1;
  context.save();
  return { sw: pinTriesSw(reference.triesLeft) };
}

/** VERIFY (SP 800-73-4 Part 2 3.2.1): with a PIN block, without data for the status, P1 FF to forget. */
export function verify(context: AppletContext, command: DecodedCommandApdu): Reply {
  if (command.p2 !== KEY_REF.PIN) return { sw: SW.REFERENCE_NOT_FOUND };
  const { pin } = context.state;
  if (command.p1 === RESET_SECURITY_STATUS && command.data.length === 0) {
    context.security.pinVerified = false;
    return { sw: SW.OK };
  }
  if (command.p1 !== 0) return { sw: SW.INCORRECT_P1P2 };
  if (command.data.length === 0) {
    if (pin.triesLeft === 0) return { sw: SW.AUTH_METHOD_BLOCKED };
    return { sw: context.security.pinVerified ? SW.OK : pinTriesSw(pin.triesLeft) };
  }
  const candidate = decodePinBlock(command.data);
  if (candidate === undefined) return { sw: SW.WRONG_DATA };
  const failure = check(context, pin, candidate);
  context.security.pinVerified = failure === undefined;
  context.security.pinUsedForAlwaysSlot = false;
  return failure ?? { sw: SW.OK };
}

function splitBlocks(data: Buffer): [string, string] | undefined {
  if (data.length !== 2 * PIN_BLOCK_LENGTH) return undefined;
  const current = decodePinBlock(data.subarray(0, PIN_BLOCK_LENGTH));
  const next = decodePinBlock(data.subarray(PIN_BLOCK_LENGTH));
  return current !== undefined && next !== undefined ? [current, next] : undefined;
}

/** CHANGE REFERENCE DATA for the PIN (80) or the PUK (81). */
export function changeReferenceData(context: AppletContext, command: DecodedCommandApdu): Reply {
  const target = command.p2 === KEY_REF.PIN ? 'pin' : command.p2 === KEY_REF.PUK ? 'puk' : undefined;
  if (!target || command.p1 !== 0) return { sw: SW.INCORRECT_P1P2 };
  const blocks = splitBlocks(command.data);
  if (!blocks) return { sw: SW.WRONG_DATA };
  const failure = check(context, context.state[target], blocks[0]);
  if (failure) {
    if (target === 'pin') context.security.pinVerified = false;
    return failure;
  }
  context.state[target] = newReferenceData(blocks[1], context.state[target].maxTries);
  context.save();
  return { sw: SW.OK };
}

/** RESET RETRY COUNTER: the PUK sets a new PIN with all its tries. */
export function resetRetryCounter(context: AppletContext, command: DecodedCommandApdu): Reply {
  if (command.p2 !== KEY_REF.PIN || command.p1 !== 0) return { sw: SW.INCORRECT_P1P2 };
  const blocks = splitBlocks(command.data);
  if (!blocks) return { sw: SW.WRONG_DATA };
  const failure = check(context, context.state.puk, blocks[0]);
  if (failure) return failure;
  context.state.pin = newReferenceData(blocks[1], context.state.pin.maxTries);
  context.security.pinVerified = false;
  context.save();
  return { sw: SW.OK };
}
