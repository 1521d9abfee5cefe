import type { agentApiSv } from './agentApi.sv';

export const agentApiEn: Record<keyof typeof agentApiSv, string> = {
  'agentApi.refusal.invalid_request':
    'The request could not be read. Update the SITHS eID app and try again.',
  'agentApi.refusal.unknown_code': 'The enrolment code does not exist. Check that you typed it correctly.',
  'agentApi.refusal.expired_code': 'The enrolment code has expired. Ask for a new code.',
  'agentApi.refusal.used_code': 'The enrolment code has already been used. Ask for a new code.',
  'agentApi.refusal.withdrawn_code': 'The enrolment code has been withdrawn. Ask for a new code.',
  'agentApi.refusal.key_known': 'This computer’s key is already registered.',
  'agentApi.refusal.too_many_attempts': 'Too many wrong codes. Wait a while and try again.',
  'agentApi.refusal.unknown_agent': 'The computer is not enrolled in siths-desk. Enrol it with a new code.',
  'agentApi.refusal.revoked': 'The computer is revoked in siths-desk. Contact IT support.',
  'audit.action.agent_enrol': 'Enrol a computer with the SITHS eID app',
  'audit.action.agent_enrolled': 'Computer enrolled with the SITHS eID app',
  'audit.action.agent_connect': 'Connection from the SITHS eID app',
};
