import { createCookie } from '@remix-run/node';
import { isLocale, type Locale } from './catalogue';

export const localeCookie = createCookie('siths_lang', {
  path: '/',
  sameSite: 'lax',
  httpOnly: true,
  maxAge: 60 * 60 * 24 * 365,
});

export async function localeOf(request: Request): Promise<Locale> {
  const value: unknown = await localeCookie.parse(request.headers.get('Cookie'));
  return isLocale(value) ? value : 'sv';
}
