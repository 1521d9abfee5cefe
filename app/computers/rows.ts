import type { Computer, ComputerSession, EnrolmentCodeItem } from '../../db/agent-admin';
import {
  type AgentVersionPolicy,
  type AgentVersionVerdict,
  agentVersionVerdict,
} from '../../protocol/agent-version';

/** A computer as the pages show it: times in milliseconds, its version's verdict, its readers when connected. */
export interface ComputerRow {
  id: string;
  name: string;
  lastUser: Computer['lastUser'];
  agentVersion: string | null;
  verdict: AgentVersionVerdict | null;
  hostname: string | null;
  os: string | null;
  remoteAddress: string | null;
  connected: boolean;
  /** Null when the computer is not connected to any server process. */
  readers: string[] | null;
  lastSeenAt: number | null;
  enrolledAt: number | null;
  enrolledBy: string | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

const ms = (date: Date | null) => (date ? date.getTime() : null);

export function computerRow(
  computer: Computer,
  policy: AgentVersionPolicy,
  readers: ReadonlyMap<string, string[]>,
): ComputerRow {
  return {
    id: computer.id,
    name: computer.name,
    lastUser: computer.lastUser,
    agentVersion: computer.agentVersion,
    verdict: computer.agentVersion ? agentVersionVerdict(computer.agentVersion, policy) : null,
    hostname: computer.hostname,
    os: computer.os,
    remoteAddress: computer.remoteAddress,
    connected: computer.connected,
    readers: computer.connected ? (readers.get(computer.id) ?? null) : null,
    lastSeenAt: ms(computer.lastSeenAt),
    enrolledAt: ms(computer.enrolledAt),
    enrolledBy: computer.enrolledBy,
    revokedAt: ms(computer.revokedAt),
    revokedBy: computer.revokedBy,
  };
}

export interface EnrolmentCodeRow {
  id: string;
  computerName: string | null;
  uses: number;
  usesAllowed: number;
  createdAt: number;
  expiresAt: number;
  createdBy: string;
  state: EnrolmentCodeItem['state'];
  /** This viewer may withdraw it: a usable code, and their own unless they administer computers. */
  mayWithdraw: boolean;
}

export function enrolmentCodeRow(
  code: EnrolmentCodeItem,
  viewer: { userId: string; administers: boolean },
): EnrolmentCodeRow {
  return {
    id: code.id,
    computerName: code.computerName,
    uses: code.uses,
    usesAllowed: code.usesAllowed,
    createdAt: code.createdAt.getTime(),
    expiresAt: code.expiresAt.getTime(),
    createdBy: code.createdBy,
    state: code.state,
    mayWithdraw: code.state === 'usable' && (viewer.administers || code.createdByUserId === viewer.userId),
  };
}

export interface SessionRow {
  id: string;
  connectedAt: number;
  disconnectedAt: number | null;
  remoteAddress: string | null;
  agentVersion: string | null;
  hostname: string | null;
  os: string | null;
}

export function sessionRow(session: ComputerSession): SessionRow {
  return {
    ...session,
    connectedAt: session.connectedAt.getTime(),
    disconnectedAt: ms(session.disconnectedAt),
  };
}
