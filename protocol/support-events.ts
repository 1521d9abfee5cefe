import type { ReaderState } from './agent-events';

/** One connected agent as support sees it. */
export interface ConnectedAgentView {
  agentId: string;
  agentSessionId: string;
  agentName: string;
  holderName: string | null;
  agentVersion: string | null;
  hostname: string | null;
  connectedAt: number;
  lastEventAt: number;
  readers: ReaderState[];
}

export interface ServerToSupportEvents {
  'agents:snapshot': (agents: ConnectedAgentView[]) => void;
  'agent:updated': (agent: ConnectedAgentView) => void;
  'agent:disconnected': (payload: { agentSessionId: string }) => void;
}

/** Support only listens for now; job actions (message, cancel, retry) arrive with the job engine. */
export type SupportToServerEvents = Record<string, never>;

export const supportNamespace = '/support';
