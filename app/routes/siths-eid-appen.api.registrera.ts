import type { ActionFunctionArgs } from '@remix-run/node';
import { agentApiNotFound, enrolComputer } from '~/agent-api/agent-api.server';

export const loader = agentApiNotFound;

/**
 * POST JSON { code, publicKey, hostname, os, agentVersion } — a computer's SITHS eID-app enrols with an
 * enrolment code and its new device key (P-256, SPKI DER in base64). Done: { ok, agentId, name }.
 * Refused: { ok: false, code, message } with 400, 404, 409 or 429 (protocol/agent-enrolment.ts).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  return enrolComputer(request, context);
}
