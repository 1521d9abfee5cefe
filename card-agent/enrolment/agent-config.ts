import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** Where a region's software distribution puts the server's address and an enrolment code for its rollout. */
export const systemConfigPath = '/etc/siths-card-agent/config.json';

const configSchema = z.object({
  serverUrl: z.url().optional(),
  /** Empty: none (the package ships it empty). */
  enrolmentCode: z
    .string()
    .max(40)
    .transform((code) => code.trim() || undefined)
    .optional(),
});
export type AgentConfig = z.infer<typeof configSchema>;

/** The config file's settings; none when it is missing and not `required`. A file that does not parse is an error. */
export async function readAgentConfig(path: string, options: { required: boolean }): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (options.required) throw new Error(`Kan inte läsa inställningsfilen ${path}.`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`Inställningsfilen ${path} är inte giltig JSON.`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `Inställningsfilen ${path} stämmer inte: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}.`,
    );
  return parsed.data;
}
