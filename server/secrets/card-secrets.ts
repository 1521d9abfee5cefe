import { createHmac } from 'node:crypto';

export interface CardSecrets {
  /** 8 digits: the PIV PUK (key reference 81). */
  puk: string;
  /** 16 bytes, hex: the AES-128 PIV card management key (key reference 9B). */
  managementKey: string;
}

const cardSerialPattern = /^\d{19}$/;

function derive(masterKey: Buffer, purpose: string, cardSerial: string): Buffer {
  return createHmac('sha256', masterKey).update(`siths-desk/${purpose}/v1/${cardSerial}`).digest();
}

/**
 * A card's PUK and management key, derived from the master key and the card serial with HMAC-SHA256, so
 * nothing per card is stored in clear and the same card always gets the same secrets.
 */
export function deriveCardSecrets(masterKey: Buffer, cardSerial: string): CardSecrets {
  if (!cardSerialPattern.test(cardSerial)) throw new Error('A card serial is 19 digits');
  const pukSource = derive(masterKey, 'puk', cardSerial);
  const puk = (pukSource.readBigUInt64BE(0) % 100_000_000n).toString().padStart(8, '0');
  const managementKey = derive(masterKey, 'management-key', cardSerial).subarray(0, 16).toString('hex');
  return { puk, managementKey };
}
