import type { JobOffer, JobOfferAnswer, SupportMessage } from '../../protocol/jobs';

/** What the job engine needs of a connected agent's socket. */
export interface AgentChannel {
  agentId: string;
  agentSessionId: string;
  offerJob(offer: JobOffer, timeoutMs: number): Promise<JobOfferAnswer>;
  cancelJob(jobId: string): void;
  sendMessage(message: SupportMessage): void;
}

/** The agents connected to this process, by session and by agent. */
export class AgentConnections {
  readonly #bySession = new Map<string, AgentChannel>();

  add(channel: AgentChannel): void {
    this.#bySession.set(channel.agentSessionId, channel);
  }

  remove(agentSessionId: string): void {
    this.#bySession.delete(agentSessionId);
  }

  bySession(agentSessionId: string | null): AgentChannel | undefined {
    return agentSessionId ? this.#bySession.get(agentSessionId) : undefined;
  }

  /** The newest connection of an agent (an agent that reconnected may briefly have two). */
  byAgent(agentId: string | null): AgentChannel | undefined {
    let latest: AgentChannel | undefined;
    for (const channel of this.#bySession.values()) if (channel.agentId === agentId) latest = channel;
    return latest;
  }
}
