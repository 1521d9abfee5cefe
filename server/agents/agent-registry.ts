import { EventEmitter } from 'node:events';
import type { ReaderState } from '../../protocol/agent-events';
import type { ConnectedAgentView } from '../../protocol/support-events';

interface RegistryEvents {
  updated: [ConnectedAgentView];
  disconnected: [{ agentSessionId: string }];
}

/** The agents connected to this server process right now, as support sees them. */
export class AgentRegistry extends EventEmitter<RegistryEvents> {
  readonly #agents = new Map<string, ConnectedAgentView>();

  connect(view: Omit<ConnectedAgentView, 'lastEventAt' | 'readers' | 'agentVersion' | 'hostname'>): void {
    this.#set({ ...view, agentVersion: null, hostname: null, readers: [], lastEventAt: view.connectedAt });
  }

  hello(
    agentSessionId: string,
    input: { agentVersion: string; hostname: string | null; readers: ReaderState[] },
  ) {
    this.#change(agentSessionId, input);
  }

  readersChanged(agentSessionId: string, readers: ReaderState[]): void {
    this.#change(agentSessionId, { readers });
  }

  disconnect(agentSessionId: string): void {
    if (this.#agents.delete(agentSessionId)) this.emit('disconnected', { agentSessionId });
  }

  list(): ConnectedAgentView[] {
    return [...this.#agents.values()].sort((a, b) => a.connectedAt - b.connectedAt);
  }

  #change(agentSessionId: string, patch: Partial<ConnectedAgentView>): void {
    const current = this.#agents.get(agentSessionId);
    if (current) this.#set({ ...current, ...patch, lastEventAt: Date.now() });
  }

  #set(view: ConnectedAgentView): void {
    this.#agents.set(view.agentSessionId, view);
    this.emit('updated', view);
  }
}
