/** Where the system under test listens: fixed loopback ports, so the Playwright config can know them. */
export const e2ePort = Number(process.env.E2E_PORT ?? 3917);
export const e2eBaseUrl = `http://127.0.0.1:${e2ePort}`;
export const e2eAgentUiPort = Number(process.env.E2E_AGENT_UI_PORT ?? 3918);
