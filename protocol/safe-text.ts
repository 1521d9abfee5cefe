import { z } from 'zod';

/**
 * What free text people type may hold, checked on both sides of every form that takes it. Names other
 * people read (unit names, Mobile SITHS device names) must not hide or reorder what they show: no C0 or C1
 * control characters, no DEL, no bidirectional controls (a right-to-left override makes "exe.pdf" of
 * "fdp.exe"). Nor may a name start like a spreadsheet formula (= + - @): the CSV exports defuse that too
 * (protocol/csv.ts), but a name is copied to more places than our exports.
 */

/** LRM, RLM, ALM and the embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI). */
const bidiControls = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
const unsafeInName = new RegExp(`[\\u0000-\\u001F\\u007F-\\u009F${bidiControls}]`, 'u');
/** Multi-line text (a comment) keeps its line breaks and tabs. */
const unsafeInText = new RegExp(
  `[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${bidiControls}]`,
  'u',
);
const formulaStart = /^[=+\-@]/;

export type SafeTextProblem = 'unsafe_character' | 'formula_start';

/** Why `name` is not a name people may be shown, or null when it is. */
export function nameProblem(name: string): SafeTextProblem | null {
  if (unsafeInName.test(name)) return 'unsafe_character';
  if (formulaStart.test(name)) return 'formula_start';
  return null;
}

/** Whether multi-line free text (a comment) is free of control and bidirectional characters. */
export function isSafeText(text: string): boolean {
  return !unsafeInText.test(text);
}

/** Whether one line of text (a name a program reports) is free of control and bidirectional characters. */
export function isSafeLine(text: string): boolean {
  return !unsafeInName.test(text);
}

/** `text` with every character `isSafeLine` refuses left out: for names a program reads, not a person types. */
export function withoutUnsafeCharacters(text: string): string {
  return text.replace(new RegExp(unsafeInName.source, 'gu'), '');
}

/** The catalogue's messages for each problem, shown next to the field. */
export const safeTextMessages = {
  unsafe_character: 'form.error.unsafeCharacters',
  formula_start: 'form.error.formulaStart',
} as const satisfies Record<SafeTextProblem, string>;

/** A name field's rule, to `.pipe()` after the field's own trimming and length. */
export const safeNameSchema = z.string().superRefine((name, context) => {
  const problem = nameProblem(name);
  if (problem) context.addIssue({ code: 'custom', message: safeTextMessages[problem] });
});

/** A comment field's rule, to `.pipe()` after the field's own trimming and length. */
export const safeTextSchema = z.string().refine(isSafeText, safeTextMessages.unsafe_character);
