import { escapeHtml } from './html';

/** A mail's content; who it goes to is the caller's business. */
export interface MailContent {
  subject: string;
  textBody: string;
  htmlBody: string;
}

const footer = 'SITHS - En tjänst från Inera';

/**
 * The mail a person gets after every attempt to unlock their card, as the guide shows it. Outside
 * production the subject names the environment ("i TEST-miljö"), so a test mail is never taken for real.
 */
export function unlockAttemptMail(input: {
  cardSerial: string;
  environmentLabel: string | null;
}): MailContent {
  const subject = input.environmentLabel
    ? `Upplåsning av SITHS-kort i ${input.environmentLabel}`
    : 'Upplåsning av SITHS-kort';
  const attempt = 'Det har gjorts ett försök att låsa upp ditt SITHS-kort med kortserienummer';
  const advice = 'Kontakta lokal support om detta inte var din avsikt.';
  return {
    subject,
    textBody: `${subject}\n\n${attempt} ${input.cardSerial}.\n\n${advice}\n\n${footer}\n`,
    htmlBody: [
      '<!doctype html>',
      '<html lang="sv"><head><meta charset="utf-8"><title>',
      escapeHtml(subject),
      '</title></head><body style="font-family: Arial, sans-serif; color: #1a1a1a">',
      `<h1 style="font-size: 20px">${escapeHtml(subject)}</h1>`,
      `<p>${escapeHtml(attempt)} <strong>${escapeHtml(input.cardSerial)}</strong>.</p>`,
      `<p>${escapeHtml(advice)}</p>`,
      `<p style="color: #555; font-size: 13px">${escapeHtml(footer)}</p>`,
      '</body></html>',
    ].join(''),
  };
}
