import type { z } from 'zod';
import type { ProtocolErrorCode } from '../../protocol/agent-events';
import type { Logger } from '../logger';

type Refusal = { ok: false; code: ProtocolErrorCode; message: string };

/**
 * Wraps a socket handler so that the payload is checked against the contract first. A bad message, a
 * missing ack or a throwing handler is answered and logged (event name and issue paths only, never the
 * payload, which may be anything) and never takes the process down. The handler's return value is the
 * ack; a handler that returns nothing is acked with { ok: true }.
 */
export function validatedHandler<Schema extends z.ZodType, Result extends object = { ok: true }>(
  eventName: string,
  schema: Schema,
  logger: Logger,
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers without an answer return nothing at all
  handle: (payload: z.infer<Schema>) => Result | void | Promise<Result | void>,
) {
  return async (payload: unknown, ack?: unknown): Promise<void> => {
    const reply =
      typeof ack === 'function' ? (ack as (result: Result | Refusal | { ok: true }) => void) : () => {};
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const paths = parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || '(root)');
      logger.warn({ event: eventName, paths }, 'refused invalid socket message');
      reply({ ok: false, code: 'invalid_message', message: `Invalid ${eventName}: ${paths.join(', ')}` });
      return;
    }
    try {
      const result = await handle(parsed.data);
      reply(result ?? { ok: true });
    } catch (error) {
      logger.error({ event: eventName, err: error }, 'socket handler failed');
      reply({ ok: false, code: 'internal', message: 'The server could not handle the message' });
    }
  };
}
