import type { ServerConfig } from '../config';

/** The environment mail subjects name, so a test mail is never taken for a real one; null in production. */
export function mailEnvironmentLabel(
  config: Pick<ServerConfig, 'NODE_ENV' | 'MAIL_ENVIRONMENT_LABEL'>,
): string | null {
  if (config.MAIL_ENVIRONMENT_LABEL !== undefined) return config.MAIL_ENVIRONMENT_LABEL.trim() || null;
  return config.NODE_ENV === 'production' ? null : 'TEST-miljö';
}
