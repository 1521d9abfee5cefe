import { z } from 'zod';

/** Only paths on this site, so a crafted link cannot send a user elsewhere after login. */
export const safeRedirectPath = z
  .string()
  .optional()
  .transform((value) => (value?.startsWith('/') && !value.startsWith('//') ? value : '/admin'));

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
