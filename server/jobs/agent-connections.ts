import type { SupportPairingNotice } from '../../protocol/agent-events';
import type { JobErrorCode, JobOffer, JobOfferAnswer, SupportMessage } from '../../protocol/jobs';

/** What the job engine needs of a connected agent's socket. */
export interface AgentChannel {
  agentId: string;
  agentSessionId: string;
  offerJob(offer: JobOffer, timeoutMs: number): Promise<JobOfferAnswer>;
  /** Tells the agent to stop a job the server has ended, and why (the code the job was ended with). */
  cancelJob(jobId: string, code: JobErrorCode): void;
  sendMessage(message: SupportMessage): void;
  notifyPairing(notice: SupportPairingNotice): void;
  /** Tells the agent that a newer connection with its device token took over, and closes this one. */
  replace(): void;
}

/**
 * The agents connected to this process: one live connection per agent (device token). A new connection
 * replaces the old one, so "the agent's connection" always means exactly one socket.
 */
export class AgentConnections {
  readonly #byAgent = new Map<string, AgentChannel>();
  readonly #bySession = new Map<string, AgentChannel>();

  /** Makes `channel` the agent's live connection; returns the connection it replaced, if any. */
  add(channel: AgentChannel): AgentChannel | undefined {
    const replaced = this.#byAgent.get(channel.agentId);
    if (replaced) this.#bySession.delete(replaced.agentSessionId);
    this.#byAgent.set(channel.agentId, channel);
    this.#bySession.set(channel.agentSessionId, channel);
    return replaced;
  }

  /** Forgets a closed connection, unless a newer one of the same agent has already taken its place. */
  remove(agentSessionId: string): void {
    const channel = this.#bySession.get(agentSessionId);
    if (!channel) return;
    this.#bySession.delete(agentSessionId);
    if (this.#byAgent.get(channel.agentId) === channel) this.#byAgent.delete(channel.agentId);
  }

  /** A live connection by its session; a replaced connection is no longer found. */
  bySession(agentSessionId: string | null): AgentChannel | undefined {
    return agentSessionId ? this.#bySession.get(agentSessionId) : undefined;
  }

  /** The agent's one live connection. */
  byAgent(agentId: string | null): AgentChannel | undefined {
    return agentId ? this.#byAgent.get(agentId) : undefined;
  }
}
