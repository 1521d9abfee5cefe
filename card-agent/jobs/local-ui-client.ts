/** The local UI as the page uses it, over HTTP with the access key: for the agent's integration tests. */
import type { Agent } from '../agent';
import type { AgentView, PromptView } from '../ui/agent-view';
import { KEY_HEADER } from '../ui/ui-server';

export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function stateOverHttp(ui: Agent['ui']): Promise<AgentView> {
  const response = await fetch(new URL('/api/state', ui.url), { headers: { [KEY_HEADER]: ui.key } });
  return (await response.json()) as AgentView;
}

/** The next open prompt other than `previous`. */
export function promptOverHttp(ui: Agent['ui'], previous?: string): Promise<PromptView> {
  return until(async () => {
    const { prompt } = await stateOverHttp(ui);
    return prompt && prompt.promptId !== previous ? prompt : undefined;
  });
}

/** A POST from the page's own origin, with the key. */
export function postOverHttp(ui: Agent['ui'], path: string, body: unknown): Promise<Response> {
  return fetch(new URL(path, ui.url), {
    method: 'POST',
    headers: { [KEY_HEADER]: ui.key, 'content-type': 'application/json', origin: new URL(ui.url).origin },
    body: JSON.stringify(body),
  });
}

export function submitOverHttp(ui: Agent['ui'], promptId: string, pin: string): Promise<Response> {
  return postOverHttp(ui, '/api/pin', { promptId, pin });
}
