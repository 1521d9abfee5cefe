import type { z } from 'zod';
import type { Ack } from '../../protocol/agent-events';
import type { Logger } from '../logger';

type AckFn = (result: Ack) => void;

/**
 * Wraps a socket handler so that the payload is checked against the contract first. A bad message, a
 * missing ack or a throwing handler is answered and logged (event name and issue paths only, never the
 * payload, which may be anything) and never takes the process down.
 */
export function validatedHandler<Schema extends z.ZodType>(
  eventName: string,
  schema: Schema,
  logger: Logger,
  handle: (payload: z.infer<Schema>) => void | Promise<void>,
) {
  return async (payload: unknown, ack?: unknown): Promise<void> => {
    const reply: AckFn = typeof ack === 'function' ? (ack as AckFn) : () => {};
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const paths = parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || '(root)');
      logger.warn({ event: eventName, paths }, 'refused invalid socket message');
      reply({ ok: false, code: 'invalid_message', message: `Invalid ${eventName}: ${paths.join(', ')}` });
      return;
    }
    try {
      await handle(parsed.data);
      reply({ ok: true });
    } catch (error) {
      logger.error({ event: eventName, err: error }, 'socket handler failed');
      reply({ ok: false, code: 'internal', message: 'The server could not handle the message' });
    }
  };
}
