import type { SigningRefusal } from './decision-signing.server';

/**
 * The HTTP status of a refused signature, the same on every deciding page: no person or a signature the PKI
 * does not vouch for is forbidden, a signing order this session did not start is not found, and a signature
 * not (yet) of this decision, or spent already, is a conflict.
 */
export const signingRefusalStatus: Record<SigningRefusal | 'signature_spent', number> = {
  no_person: 403,
  signature_invalid: 403,
  not_found: 404,
  not_signed: 409,
  other_decision: 409,
  already_used: 409,
  signature_spent: 409,
};
