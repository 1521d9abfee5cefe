import { z } from 'zod';
import { safeNameSchema } from '../../protocol/safe-text';

/** The phone simulator's API bodies, shared by the simulator (before sending) and the APIs (which never trust it). */
const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/);

/** A WebCrypto ECDSA P-256 signature: IEEE P1363 r | s, 64 bytes, base64. */
const signature = base64(64).length(88);
export const deviceCode = z.string().regex(/^\d{6,8}$/, 'mobile.app.codeFormat');

export const scanRequestSchema = z.object({
  qrContent: z.string().trim().min(1).max(300),
  /** The Mobile SITHS device scanning a login QR code; not needed for an enrolment QR code. */
  deviceId: z.uuid().optional(),
});

export const signRequestSchema = z.object({
  orderId: z.uuid(),
  deviceId: z.uuid(),
  code: deviceCode,
  signature,
});

export const deviceNameSchema = z
  .string()
  .trim()
  .min(1, 'mobile.app.nameRequired')
  .max(60, 'mobile.app.nameRequired')
  .pipe(safeNameSchema);

export const registerRequestSchema = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  deviceName: deviceNameSchema,
  /** SubjectPublicKeyInfo DER of the new ECDSA P-256 key, base64 (91 bytes for P-256). */
  publicKey: base64(300).min(100),
  code: deviceCode,
  signature,
});

export type ScanRequest = z.infer<typeof scanRequestSchema>;
export type SignRequest = z.infer<typeof signRequestSchema>;
export type RegisterRequest = z.infer<typeof registerRequestSchema>;
