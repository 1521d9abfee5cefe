import type { Namespace, Server } from 'socket.io';
import { jobIdSchema } from '../../protocol/jobs';
import type { ConnectedAgentView } from '../../protocol/support-events';
import type { AgentRegistry } from '../agents/agent-registry';
import {
  type AgentCommand,
  type AgentCommandResult,
  agentCommandSchema,
  type JobCluster,
} from '../jobs/job-cluster';
import type { JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';

/** Only server processes speak here (over the adapter); no client may connect to it. */
const clusterNamespace = '/cluster';

/** What the processes of one installation say to each other: Socket.IO's server-side events. */
interface ClusterEvents {
  'agent-command': (command: unknown, answer: (result: AgentCommandResult | null) => void) => void;
  'job-ended': (jobId: unknown) => void;
  'connected-agents': (answer: (agents: ConnectedAgentView[]) => void) => void;
}

type ClusterNamespace = Namespace<
  Record<string, never>,
  Record<string, never>,
  ClusterEvents,
  Record<string, never>
>;

/** The agent sockets' room per connection: a command for a connection reaches it on any process. */
export const agentSessionRoom = (agentSessionId: string) => `agent-session:${agentSessionId}`;

/**
 * The job engine's link to the other server processes, over Socket.IO's adapter (Redis): a command for an
 * agent goes to every process and the one holding the agent's connection carries it out; an ended job is
 * announced so a process still driving it lets go. Only used with `REDIS_URL`; one process needs none.
 */
export function attachSocketCluster(
  io: Server,
  deps: { jobs: JobEngine; registry: AgentRegistry; logger: Logger; agentNamespace: string },
): JobCluster {
  const namespace = io.of(clusterNamespace) as unknown as ClusterNamespace;
  const log = deps.logger.child({ component: 'cluster' });
  namespace.use((_socket, next) => next(new Error('forbidden')));

  namespace.on('agent-command', (input, answer) => {
    const parsed = agentCommandSchema.safeParse(input);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.length }, 'refused a malformed command from another process');
      answer(null);
      return;
    }
    runIfHeld(deps.jobs, parsed.data).then(answer, (error: unknown) => {
      log.error({ err: error, type: parsed.data.type }, 'a forwarded agent command failed');
      answer({ ok: false, code: 'internal', message: 'Ett oväntat fel inträffade på servern' });
    });
  });
  namespace.on('job-ended', (jobId) => {
    const parsed = jobIdSchema.safeParse(jobId);
    if (parsed.success) deps.jobs.releaseEndedJob(parsed.data);
  });
  namespace.on('connected-agents', (answer) => answer(deps.registry.list()));

  /** Every other process's answers; one that does not answer within Socket.IO's 5 s is left out. */
  const askOthers = <Answer>(ask: (callback: (error: unknown, answers: Answer[]) => void) => void) =>
    new Promise<Answer[]>((resolve) => {
      ask((error, answers) => {
        if (error) log.warn({ err: error }, 'a server process did not answer');
        resolve(answers ?? []);
      });
    });

  return {
    cancelOnAgent(agentSessionId, jobId, code) {
      io.of(deps.agentNamespace).to(agentSessionRoom(agentSessionId)).emit('job:cancel', { jobId, code });
    },
    jobEnded(jobId) {
      namespace.serverSideEmit('job-ended', jobId);
    },
    async forward(command) {
      const answers = await askOthers<AgentCommandResult | null>((callback) =>
        namespace.serverSideEmit('agent-command', command, callback as never),
      );
      return answers.find((answer): answer is AgentCommandResult => answer !== null);
    },
    async otherAgents() {
      const answers = await askOthers<unknown>((callback) =>
        namespace.serverSideEmit('connected-agents', callback as never),
      );
      return answers.flatMap((list) => (Array.isArray(list) ? (list as ConnectedAgentView[]) : []));
    },
  };
}

/** Carries the command out when this process holds the agent's connection; null tells the sender it does not. */
async function runIfHeld(jobs: JobEngine, command: AgentCommand): Promise<AgentCommandResult | null> {
  switch (command.type) {
    case 'retry':
      return jobs.holdsAgent(command.agentId) ? await jobs.retry(command.jobId) : null;
    case 'start-card-check':
      return jobs.holdsAgentSession(command.agentSessionId) ? await jobs.startCardCheck(command) : null;
    case 'start-assisted-unlock':
      return jobs.holdsAgentSession(command.agentSessionId) ? await jobs.startAssistedUnlock(command) : null;
    case 'pairing':
      return jobs.holdsAgentSession(command.agentSessionId)
        ? await jobs.notifyPairing(command.agentSessionId, command.notice)
        : null;
    case 'message':
      return jobs.holdsAgentSession(command.agentSessionId)
        ? await jobs.sendMessage(command.agentSessionId, command.message)
        : null;
  }
}
