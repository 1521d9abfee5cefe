/** The simulator's key operations, with WebCrypto as a phone's secure element would do them. */

export function hasWebCrypto(): boolean {
  return typeof crypto !== 'undefined' && typeof crypto.subtle !== 'undefined';
}

/** A new ECDSA P-256 key pair; the private key cannot be exported. */
export async function createDeviceKey(): Promise<{ privateKey: CryptoKey; publicKeySpki: string }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
  const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
  return { privateKey: pair.privateKey, publicKeySpki: toBase64(spki) };
}

/** ECDSA P-256 / SHA-256 over the UTF-8 text; WebCrypto returns IEEE P1363 (r | s, 64 bytes), base64. */
export async function signText(privateKey: CryptoKey, text: string): Promise<string> {
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    new TextEncoder().encode(text),
  );
  return toBase64(signature);
}

function toBase64(buffer: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
