import type { decisionsSv } from './decisions.sv';

export const decisionsEn: Record<keyof typeof decisionsSv, string> = {
  'decision.sign.intro':
    'The decision takes effect only once you have signed it with your SITHS eID. Choose how to sign.',
  'decision.sign.withCard': 'Sign with SITHS eID on this device',
  'decision.sign.withMobile': 'Sign with SITHS eID on another device',
  'decision.sign.statementHeading': 'This is what you sign',
  'decision.signedBy': 'Signed by',
  'decision.signedAt': 'Signed',
  'decision.download.cms': 'Download the signature (CMS, .p7s)',
  'decision.download.statement': 'Download the text (.txt)',
  'decision.download.chain': 'Download the CA chain (.pem)',
  'decision.method.card': 'SITHS card',
  'decision.method.mobile_siths': 'Mobile SITHS',
  'decision.error.no_person':
    'Your account has no person and no SITHS eID. Decisions that must be signed are made by an ID administrator logged in with their SITHS eID.',
  'decision.error.not_found': 'The signature was not found. Start again and sign the decision once more.',
  'decision.error.not_signed': 'The decision is not signed yet. Sign it and try again.',
  'decision.error.other_decision':
    'The signature is not for this decision: its details changed after you signed. Sign again.',
  'decision.error.signature_invalid':
    'The signature could not be accepted: the certificate is revoked, expired, belongs to someone else, or the signature does not match. Nothing was changed.',
  'decision.error.already_used': 'The signature has already been used for a decision. Sign again.',
  'decision.error.signature_spent': 'The signature has already been used for a decision. Sign again.',
  'audit.action.decision_signed': 'Decision signed',
  'audit.action.decision_sign': 'Sign decision',
};
