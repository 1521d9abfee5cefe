import { describe, expect, it } from 'vitest';
import { isSafeLine, isSafeText, withoutUnsafeCharacters } from './safe-text';

describe('names a program reports (a computer, its system, a card reader)', () => {
  it.each([
    ['a right-to-left override', 'vardrum-\u202E21', 'vardrum-21'],
    ['an isolate', 'vardrum \u2066x\u2069', 'vardrum x'],
    ['a terminal escape', 'Debian\u001B[2J 12', 'Debian[2J 12'],
    ['a line break', 'Debian\n12', 'Debian12'],
    ['a C1 control and a DEL', 'Lä\u0085sare\u007F', 'Läsare'],
  ])('lose %s and keep the rest', (_label, reported, shown) => {
    expect(isSafeLine(reported)).toBe(false);
    expect(withoutUnsafeCharacters(reported)).toBe(shown);
    expect(isSafeLine(shown)).toBe(true);
  });

  it('keep Swedish letters, spaces and punctuation as they are', () => {
    const name = 'Läsare på avd. 12 (Åre) – Debian GNU/Linux 12 "bookworm"';
    expect(withoutUnsafeCharacters(name)).toBe(name);
    expect(isSafeLine(name)).toBe(true);
  });

  it('are one line, where a comment may have several', () => {
    expect(isSafeText('rad ett\nrad två')).toBe(true);
    expect(isSafeLine('rad ett\nrad två')).toBe(false);
  });
});
