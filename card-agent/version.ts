/**
 * The SITHS eID-app's version: what it reports to the server in its hello, and the version of its Debian
 * package (`npm run agent:package`). One number, kept here.
 */
export const agentVersion = '0.2.0';
