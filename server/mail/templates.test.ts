import { describe, expect, it } from 'vitest';
import { unlockAttemptMail } from './templates';

const serial = '9752269885719985027';

describe('unlock attempt mail', () => {
  it('reads as the guide shows it: subject, the card serial, whom to contact, the footer', () => {
    const mail = unlockAttemptMail({ cardSerial: serial, environmentLabel: null });
    expect(mail.subject).toBe('Upplåsning av SITHS-kort');
    expect(mail.textBody).toContain(
      `Det har gjorts ett försök att låsa upp ditt SITHS-kort med kortserienummer ${serial}.`,
    );
    expect(mail.textBody).toContain('Kontakta lokal support om detta inte var din avsikt.');
    expect(mail.textBody).toContain('SITHS - En tjänst från Inera');
    expect(mail.htmlBody).toContain(`kortserienummer <strong>${serial}</strong>.`);
    expect(mail.htmlBody).toContain('Kontakta lokal support om detta inte var din avsikt.');
  });

  it('names a test environment in the subject, so a test mail is not taken for a real one', () => {
    const mail = unlockAttemptMail({ cardSerial: serial, environmentLabel: 'TEST-miljö' });
    expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
    expect(mail.htmlBody).toContain('<title>Upplåsning av SITHS-kort i TEST-miljö</title>');
  });

  it('escapes the serial and the label in the HTML body', () => {
    const mail = unlockAttemptMail({
      cardSerial: '<img src=x onerror=alert(1)>',
      environmentLabel: 'A&B "test"',
    });
    expect(mail.htmlBody).not.toContain('<img');
    expect(mail.htmlBody).toContain('<strong>&lt;img src=x onerror=alert(1)&gt;</strong>');
    expect(mail.htmlBody).toContain('i A&amp;B &quot;test&quot;');
    expect(mail.textBody).toContain('<img src=x onerror=alert(1)>.');
  });
});
