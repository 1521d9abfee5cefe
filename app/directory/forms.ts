import { z } from 'zod';

/** "Förhandsgranska" reads the directory and shows the changes; "Synkronisera nu" applies them. */
export const directorySyncSchema = z.object({
  intent: z.enum(['preview', 'apply'], { error: 'directory.error.intent' }),
});
