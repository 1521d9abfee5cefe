import type { ActionFunctionArgs } from '@remix-run/node';
import { agentApiNotFound, challengeComputer } from '~/agent-api/agent-api.server';

export const loader = agentApiNotFound;

/**
 * POST JSON { agentId } — a one-time challenge ({ ok, challenge }) the enrolled computer signs with its
 * device key to connect. Unknown computer 404, revoked 403.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  return challengeComputer(request, context);
}
