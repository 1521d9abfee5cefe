import { z } from 'zod';

/** Stands in for this site's origin: a value that resolves away from it names another site. */
const siteOrigin = 'https://siths-desk.invalid';

/**
 * A path on this site for `value`, or `fallback`. The browser reads a Location header as a URL relative to
 * the page, so the value is resolved the same way (the URL parser drops tabs and newlines and reads `\` as
 * `/`, as browsers do): `/\evil.example` and `/%09/evil.example` name another host and are refused. What is
 * returned is the parsed path itself, never the raw value, and it must resolve to this site once more.
 */
export function sitePath(value: string | undefined, fallback: string): string {
  if (!value?.startsWith('/')) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(value, siteOrigin);
  } catch {
    return fallback;
  }
  if (resolved.origin !== siteOrigin) return fallback;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return new URL(path, siteOrigin).origin === siteOrigin && !path.startsWith('//') ? path : fallback;
}

/** Only paths on this site, so a crafted link cannot send a user elsewhere after login or a language change. */
export const safeRedirectPath = z
  .string()
  .optional()
  .transform((value) => sitePath(value, '/admin'));

export const loginFormSchema = z.object({
  username: z
    .string()
    .trim()
    .min(1, 'login.error.usernameRequired')
    .max(100, 'login.error.invalid')
    .transform((value) => value.toLowerCase()),
  password: z.string().min(1, 'login.error.passwordRequired').max(200, 'login.error.invalid'),
  redirectTo: safeRedirectPath,
});
