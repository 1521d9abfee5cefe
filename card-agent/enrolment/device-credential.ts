import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import {
  agentChallengePath,
  agentEnrolPath,
  agentLoginStatement,
  challengeAnswerSchema,
  type EnrolmentRefusalCode,
  enrolAnswerSchema,
  type KeyHandshake,
} from '../../protocol/agent-enrolment';
import { withoutUnsafeCharacters } from '../../protocol/safe-text';
import type { Logger } from '../pcsc/logger';
import { agentVersion } from '../version';

/**
 * This computer's credential with one siths-desk server: the id it enrolled under and its device key. The
 * file is this user's alone (0600 in a 0700 folder); the private key never leaves it.
 */
const credentialFileSchema = z.object({
  serverUrl: z.url(),
  agentId: z.uuid(),
  name: z.string().min(1).max(200),
  privateKeyPem: z.string().min(100).max(1000),
});

export interface DeviceCredential {
  serverUrl: string;
  agentId: string;
  name: string;
  privateKey: KeyObject;
}

/** `$XDG_CONFIG_HOME/siths-card-agent/credential.json`, else under ~/.config. */
export function defaultCredentialPath(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(configHome, 'siths-card-agent', 'credential.json');
}

/** The credential for `serverUrl`; undefined when there is none, it is for another server, or unreadable. */
export async function readCredential(
  path: string,
  serverUrl: string,
  logger: Logger,
): Promise<DeviceCredential | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: z.infer<typeof credentialFileSchema>;
  try {
    parsed = credentialFileSchema.parse(JSON.parse(text));
  } catch {
    logger.warn({ path }, 'the device credential file is not readable as one; enrolment needed');
    return undefined;
  }
  if (new URL(parsed.serverUrl).origin !== new URL(serverUrl).origin) {
    logger.warn({ path }, 'the device credential is for another server; enrolment needed');
    return undefined;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) {
    // Someone widened it: narrowed again, and said, since another user may have read it.
    logger.warn(
      { path, mode: mode.toString(8) },
      'the device credential was readable by others; made private',
    );
    await chmod(path, 0o600);
  }
  return {
    serverUrl: parsed.serverUrl,
    agentId: parsed.agentId,
    name: parsed.name,
    privateKey: createPrivateKey(parsed.privateKeyPem),
  };
}

async function writeCredential(path: string, credential: DeviceCredential): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.tmp`;
  const file = {
    serverUrl: credential.serverUrl,
    agentId: credential.agentId,
    name: credential.name,
    privateKeyPem: credential.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  await writeFile(partial, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, path);
}

/** The computer's name as support and the administrators see it: what the enrolment and hello accept. */
export function computerName(): string {
  return withoutUnsafeCharacters(hostname()).trim().slice(0, 100) || 'okänd';
}

/** The operating system as the dashboard shows it: /etc/os-release's name, else the kernel's, as the server accepts it. */
export async function operatingSystem(): Promise<string> {
  try {
    const release = await readFile('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(release)?.[1];
    const name = pretty && withoutUnsafeCharacters(pretty).trim().slice(0, 100);
    if (name) return name;
  } catch {}
  return `${process.platform} ${process.arch}`;
}

export type EnrolResult =
  | { ok: true; credential: DeviceCredential }
  | { ok: false; code: EnrolmentRefusalCode | 'unreachable' };

/** Makes this computer's device key, enrols it with the code and keeps the credential in `path`. */
export async function enrolThisComputer(input: {
  serverUrl: string;
  code: string;
  path: string;
  logger: Logger;
}): Promise<EnrolResult> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let answer: unknown;
  try {
    const response = await fetch(new URL(agentEnrolPath, input.serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: input.code.trim().slice(0, 40),
        publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        hostname: computerName(),
        os: await operatingSystem(),
        agentVersion,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    answer = await response.json();
  } catch (error) {
    input.logger.warn({ errorName: (error as Error).name }, 'enrolment: server not reached');
    return { ok: false, code: 'unreachable' };
  }
  const parsed = enrolAnswerSchema.safeParse(answer);
  if (!parsed.success) return { ok: false, code: 'unreachable' };
  if (!parsed.data.ok) {
    // The code itself is never logged: until it is spent it lets a computer in.
    input.logger.warn({ code: parsed.data.code }, 'enrolment refused');
    return { ok: false, code: parsed.data.code };
  }
  const credential = {
    serverUrl: input.serverUrl,
    agentId: parsed.data.agentId,
    name: parsed.data.name,
    privateKey,
  };
  await writeCredential(input.path, credential);
  input.logger.info({ agentId: credential.agentId, name: credential.name }, 'computer enrolled');
  return { ok: true, credential };
}

export type ChallengeFailure = 'revoked' | 'unknown_agent' | 'unreachable';

/** Asks for a one-time challenge and signs it: the Socket.IO handshake of an enrolled computer. */
export async function signedHandshake(
  credential: DeviceCredential,
): Promise<{ ok: true; handshake: KeyHandshake } | { ok: false; reason: ChallengeFailure }> {
  let answer: unknown;
  try {
    const response = await fetch(new URL(agentChallengePath, credential.serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: credential.agentId }),
      signal: AbortSignal.timeout(10_000),
    });
    answer = await response.json();
  } catch {
    return { ok: false, reason: 'unreachable' };
  }
  const parsed = challengeAnswerSchema.safeParse(answer);
  if (!parsed.success) return { ok: false, reason: 'unreachable' };
  if (!parsed.data.ok) return { ok: false, reason: parsed.data.code };
  const { challenge } = parsed.data;
  const signature = sign(
    'sha256',
    Buffer.from(agentLoginStatement(credential.agentId, challenge), 'utf8'),
    credential.privateKey,
  ).toString('base64');
  return { ok: true, handshake: { agentId: credential.agentId, challenge, signature } };
}
