/**
 * Closes a computer's connections on every server process (a revoked computer is cut off at once). The
 * agent namespace binds it when it is attached; until then, and in processes without one, it does nothing.
 */
export class AgentAccess {
  #disconnect: (agentId: string) => void = () => undefined;

  bind(disconnect: (agentId: string) => void): void {
    this.#disconnect = disconnect;
  }

  disconnect(agentId: string): void {
    this.#disconnect(agentId);
  }
}
