import { type KeyObject, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { EXTENDED_MAX_LE } from '../pcsc/apdu.js';
import type { ApduChannel } from '../pcsc/apdu-channel.js';
import {
  FileNotFoundError,
  PinBlockedError,
  SecurityStatusNotSatisfiedError,
  WrongPinError,
} from '../pcsc/errors.js';
import { cardLogger, type Logger } from '../pcsc/logger.js';
import { type CardKind, type CardSerial, decodeCardInfo } from './card-serial.js';
import { type Chuid, decodeChuid } from './chuid.js';
import {
  assertManagementKey,
  decryptBlock,
  encryptBlock,
  type ManagementKey,
  managementKeyAlgorithmId,
  managementKeyBlockSize,
} from './management-key.js';
import { encodePin } from './pin.js';
import {
  INS,
  KEY_ALGORITHM_ID,
  KEY_REF,
  type KeyAlgorithm,
  OBJECT,
  PIV_AID,
  type PivSlot,
  SLOT_CERTIFICATE_OBJECT,
  SLOT_KEY_REF,
  TAG,
} from './piv-constants.js';
import {
  InvalidCardResponseError,
  ManagementKeyRejectedError,
  PivError,
  PukBlockedError,
  SerialMismatchError,
  WrongPukError,
} from './piv-errors.js';
import { decodePublicKeyTemplate, keyAlgorithmOf } from './public-key.js';
import { pkcs1v15SignatureBlock } from './rsa-signature-block.js';
import { encodeTag, encodeTlv, encodeTlvs, findTlv, requireTlv } from './tlv.js';

const CLA = 0x00;
/** "Everything there is": the channel sends it as Le 00 in short APDUs and 0000 in extended ones. */
const LE_MAX = EXTENDED_MAX_LE;
const DATA_OBJECT_P1P2 = { p1: 0x3f, p2: 0xff };
const PIN_MAX_TRIES = 3;

/**
 * A conversation with the PIV application of one card (SP 800-73-4 Part 2). Each method is one
 * thing a person does with the card and runs as one transaction on the channel.
 */
export class PivSession {
  private readonly slotAlgorithms = new Map<PivSlot, KeyAlgorithm>();
  private readonly log: Logger;

  private constructor(
    private readonly channel: ApduChannel,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'piv' });
  }

  /** Selects the PIV application; throws FileNotFoundError when the card has none. */
  static async open(channel: ApduChannel, logger: Logger = cardLogger): Promise<PivSession> {
    const session = new PivSession(channel, logger);
    await channel.transaction(() => session.selectApplication());
    return session;
  }

  get readerName(): string {
    return this.channel.transport.readerName;
  }

  /** APDUs exchanged so far (including GET RESPONSE and chain parts) and their total time. */
  get apduStats(): { apdus: number; totalMs: number } {
    return { ...this.channel.stats };
  }

  async close(): Promise<void> {
    await this.channel.transport.close();
  }

  readChuid(): Promise<Chuid> {
    return this.channel.transaction(async () => decodeChuid(await this.getData(OBJECT.CHUID)));
  }

  /**
   * The 19-digit card serial, from the discretionary card-info object when the card has one and
   * from the CHUID's GUID otherwise; a card whose two copies disagree is refused.
   */
  readCardSerial(): Promise<{ serial: CardSerial; kind?: CardKind }> {
    return this.channel.transaction(async () => {
      const chuid = decodeChuid(await this.getData(OBJECT.CHUID));
      const info = await this.getOptionalData(OBJECT.CARD_INFO);
      const fromInfo = info ? decodeCardInfo(info) : {};
      if (fromInfo.serial && chuid.serial && fromInfo.serial !== chuid.serial)
        throw new SerialMismatchError();
      const serial = fromInfo.serial ?? chuid.serial;
      if (!serial) throw new InvalidCardResponseError('the card carries no SITHS serial');
      return { serial, ...(fromInfo.kind ? { kind: fromInfo.kind } : {}) };
    });
  }

  /** The DER certificate in a slot, or undefined when the slot has none. */
  readCertificate(slot: PivSlot): Promise<Buffer | undefined> {
    return this.channel.transaction(() => this.readCertificateObject(slot));
  }

  async verifyPin(pin: string): Promise<void> {
    const block = encodePin(pin);
    return this.channel.transaction(async () => {
      await this.channel.send({ cla: CLA, ins: INS.VERIFY, p1: 0, p2: KEY_REF.PIN, data: block });
      this.log.info('PIN verified');
    });
  }

  /** Tries left before the PIN blocks; a PIN verified in this session has all of them. */
  pinTriesLeft(): Promise<number> {
    return this.channel.transaction(async () => {
      try {
        await this.channel.send({ cla: CLA, ins: INS.VERIFY, p1: 0, p2: KEY_REF.PIN });
        return PIN_MAX_TRIES;
      } catch (error) {
        if (error instanceof WrongPinError) return error.triesLeft;
        if (error instanceof PinBlockedError) return 0;
        throw error;
      }
    });
  }

  async changePin(currentPin: string, newPin: string): Promise<void> {
    const data = Buffer.concat([encodePin(currentPin, 'current PIN'), encodePin(newPin, 'new PIN')]);
    return this.channel.transaction(async () => {
      await this.channel.send({ cla: CLA, ins: INS.CHANGE_REFERENCE_DATA, p1: 0, p2: KEY_REF.PIN, data });
      this.log.info('PIN changed');
    });
  }

  /** RESET RETRY COUNTER: the PUK sets a new PIN and gives the PIN its tries back. */
  async unblockPin(puk: string, newPin: string): Promise<void> {
    const data = Buffer.concat([encodePin(puk, 'PUK'), encodePin(newPin, 'new PIN')]);
    return this.channel.transaction(async () => {
      try {
        await this.channel.send({ cla: CLA, ins: INS.RESET_RETRY_COUNTER, p1: 0, p2: KEY_REF.PIN, data });
      } catch (error) {
        if (error instanceof WrongPinError) throw new WrongPukError(error.triesLeft);
        if (error instanceof PinBlockedError) throw new PukBlockedError();
        throw error;
      }
      this.log.info('PIN unblocked');
    });
  }

  /** Mutual authentication with the card management key (SP 800-73-4 Part 2 appendix A.1). */
  async authenticateManagementKey(managementKey: ManagementKey): Promise<void> {
    assertManagementKey(managementKey);
    return this.channel.transaction(async () => {
      const algorithm = managementKeyAlgorithmId(managementKey.algorithm);
      const authenticate = (template: Buffer) =>
        this.generalAuthenticate(algorithm, KEY_REF.MANAGEMENT, encodeTlv(TAG.DYNAMIC_AUTH, template));
      const witness = requireTlv(await authenticate(encodeTlv(TAG.WITNESS)), TAG.WITNESS, 'witness');
      const challenge = randomBytes(managementKeyBlockSize(managementKey.algorithm));
      const answer = encodeTlvs(
        [TAG.WITNESS, decryptBlock(managementKey, witness)],
        [TAG.CHALLENGE, challenge],
      );
      let response: Buffer;
      try {
        response = requireTlv(await authenticate(answer), TAG.RESPONSE, 'challenge response');
      } catch (error) {
        if (error instanceof SecurityStatusNotSatisfiedError) throw new ManagementKeyRejectedError();
        throw error;
      }
      const expected = encryptBlock(managementKey, challenge);
      if (response.length !== expected.length || !timingSafeEqual(response, expected)) {
        throw new PivError('CARD_NOT_AUTHENTIC', 'the card does not hold this management key');
      }
      this.log.info('management key authenticated');
    });
  }

  /** GENERATE ASYMMETRIC KEY PAIR; needs the management key. The private key stays on the card. */
  generateKey(slot: PivSlot, algorithm: KeyAlgorithm): Promise<KeyObject> {
    return this.channel.transaction(async () => {
      const template = encodeTlv(
        TAG.KEY_GEN_TEMPLATE,
        encodeTlv(TAG.KEY_GEN_ALGORITHM, Buffer.from([KEY_ALGORITHM_ID[algorithm]])),
      );
      const response = await this.channel.send({
        cla: CLA,
        ins: INS.GENERATE_ASYMMETRIC_KEY_PAIR,
        p1: 0,
        p2: SLOT_KEY_REF[slot],
        data: template,
        le: LE_MAX,
      });
      const publicKey = parseOrReject(() => decodePublicKeyTemplate(response, algorithm), 'public key');
      this.slotAlgorithms.set(slot, algorithm);
      this.log.info({ slot, algorithm }, 'key generated');
      return publicKey;
    });
  }

  /**
   * Signs a SHA-256/384/512 digest with the slot's key through GENERAL AUTHENTICATE. ECDSA answers
   * DER (r, s); RSA is PKCS#1 v1.5. Slot 9A and 9C need a verified PIN, 9E does not.
   */
  sign(slot: PivSlot, digest: Uint8Array, algorithm?: KeyAlgorithm): Promise<Buffer> {
    return this.channel.transaction(async () => {
      const keyAlgorithm = algorithm ?? (await this.slotAlgorithm(slot));
      const input = keyAlgorithm === 'RSA2048' ? pkcs1v15SignatureBlock(digest, 256) : p256Digest(digest);
      const template = encodeTlv(
        TAG.DYNAMIC_AUTH,
        encodeTlvs([TAG.RESPONSE, Buffer.alloc(0)], [TAG.CHALLENGE, input]),
      );
      const response = await this.generalAuthenticate(
        KEY_ALGORITHM_ID[keyAlgorithm],
        SLOT_KEY_REF[slot],
        template,
      );
      this.log.info({ slot }, 'signed');
      return parseOrReject(() => requireTlv(response, TAG.RESPONSE, 'signature'), 'signature');
    });
  }

  /** PUT DATA of the slot's certificate object; needs the management key. */
  putCertificate(slot: PivSlot, der: Uint8Array): Promise<void> {
    return this.channel.transaction(async () => {
      const content = encodeTlvs(
        [TAG.CERTIFICATE, der],
        [TAG.CERT_INFO, Buffer.from([0])],
        [TAG.ERROR_DETECTION, Buffer.alloc(0)],
      );
      await this.putData(SLOT_CERTIFICATE_OBJECT[slot], content);
      this.log.info({ slot, bytes: der.length }, 'certificate written');
    });
  }

  private async selectApplication(): Promise<void> {
    await this.channel.send({ cla: CLA, ins: INS.SELECT, p1: 0x04, p2: 0x00, data: PIV_AID, le: LE_MAX });
  }

  private async getData(objectTag: number): Promise<Buffer> {
    const data = encodeTlv(TAG.TAG_LIST, encodeTag(objectTag));
    const response = await this.channel.send({
      cla: CLA,
      ins: INS.GET_DATA,
      ...DATA_OBJECT_P1P2,
      data,
      le: LE_MAX,
    });
    return parseOrReject(() => requireTlv(response, TAG.DATA, 'data object'), 'data object');
  }

  private async getOptionalData(objectTag: number): Promise<Buffer | undefined> {
    try {
      return await this.getData(objectTag);
    } catch (error) {
      if (error instanceof FileNotFoundError) return undefined;
      throw error;
    }
  }

  private async putData(objectTag: number, content: Buffer): Promise<void> {
    const data = encodeTlvs([TAG.TAG_LIST, encodeTag(objectTag)], [TAG.DATA, content]);
    await this.channel.send({ cla: CLA, ins: INS.PUT_DATA, ...DATA_OBJECT_P1P2, data });
  }

  private async readCertificateObject(slot: PivSlot): Promise<Buffer | undefined> {
    const object = await this.getOptionalData(SLOT_CERTIFICATE_OBJECT[slot]);
    if (!object || object.length === 0) return undefined;
    const certInfo = findTlv(object, TAG.CERT_INFO);
    if (certInfo?.[0])
      throw new PivError('UNSUPPORTED_ALGORITHM', 'compressed certificates are not supported');
    return parseOrReject(() => requireTlv(object, TAG.CERTIFICATE, 'certificate'), 'certificate');
  }

  private async generalAuthenticate(algorithm: number, keyRef: number, template: Buffer): Promise<Buffer> {
    const response = await this.channel.send({
      cla: CLA,
      ins: INS.GENERAL_AUTHENTICATE,
      p1: algorithm,
      p2: keyRef,
      data: template,
      le: LE_MAX,
    });
    return parseOrReject(
      () => requireTlv(response, TAG.DYNAMIC_AUTH, 'dynamic authentication template'),
      'template',
    );
  }

  /** PIV has no standard way to ask a slot's algorithm: use what we generated, else the certificate. */
  private async slotAlgorithm(slot: PivSlot): Promise<KeyAlgorithm> {
    const known = this.slotAlgorithms.get(slot);
    if (known) return known;
    const certificate = await this.readCertificateObject(slot);
    const algorithm = certificate ? keyAlgorithmOf(certificatePublicKey(certificate)) : undefined;
    if (!algorithm)
      throw new PivError('UNSUPPORTED_ALGORITHM', `the key algorithm of slot ${slot} is unknown`);
    this.slotAlgorithms.set(slot, algorithm);
    return algorithm;
  }
}

/** ECDSA on P-256 uses the leftmost 256 bits of the digest (FIPS 186-4 6.4). */
function p256Digest(digest: Uint8Array): Buffer {
  if (digest.length < 32) throw new RangeError('digest shorter than 256 bits');
  return Buffer.from(digest.subarray(0, 32));
}

function certificatePublicKey(der: Buffer): KeyObject {
  return new X509Certificate(der).publicKey;
}

function parseOrReject<T>(parse: () => T, what: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) throw new InvalidCardResponseError(`${what}: ${error.message}`);
    throw error;
  }
}
