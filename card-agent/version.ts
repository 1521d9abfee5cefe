/**
 * The SITHS eID-app's version: what it reports to the server in its hello, and the version of its Debian
 * package (`npm run agent:package`). One number, kept in the shared contract (the server's default current
 * version is the same release).
 */
export { agentReleaseVersion as agentVersion } from '../protocol/agent-version';
