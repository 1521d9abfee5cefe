/** Where the system under test listens; a fixed loopback port so the Playwright config can know it. */
export const e2ePort = Number(process.env.E2E_PORT ?? 3917);
export const e2eBaseUrl = `http://127.0.0.1:${e2ePort}`;
