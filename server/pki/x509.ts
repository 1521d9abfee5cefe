// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

export const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
export const caKeyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A copy the WebCrypto types accept (a Node Buffer may sit on a SharedArrayBuffer). */
export const bufferSource = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);
