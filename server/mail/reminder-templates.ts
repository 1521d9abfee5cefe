import type { OrderType } from '../../protocol/domain-values';
import { escapeHtml } from './html';
import type { MailContent } from './templates';

/** What every reminder needs besides its facts. */
export interface ReminderMailSettings {
  /** Named in the subject outside production ("i TEST-miljö"). */
  environmentLabel: string | null;
  /** The portal's address: staff reminders link to the Att göra page. */
  publicUrl: string;
}

const footer = 'SITHS - En tjänst från Inera';

/** A day as the mails write it: 2026-04-01. */
export function mailDate(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

const orderTypeNames: Record<OrderType, string> = {
  eid_on_card: 'SITHS eID på kort',
  reserve_card_loa2: 'Reservkort tillitsnivå 2',
  reserve_card_loa3: 'Reservkort tillitsnivå 3',
  mobile: 'Mobilt SITHS',
};

/** A paragraph of text, or a list (each line an item). */
type Block = string | { list: string[] };

function reminderMail(subject: string, blocks: Block[], settings: ReminderMailSettings): MailContent {
  const fullSubject = settings.environmentLabel ? `${subject} (${settings.environmentLabel})` : subject;
  const text = blocks.map((block) =>
    typeof block === 'string' ? block : block.list.map((item) => `- ${item}`).join('\n'),
  );
  const html = blocks.map((block) =>
    typeof block === 'string'
      ? `<p>${escapeHtml(block)}</p>`
      : `<ul>${block.list.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`,
  );
  return {
    subject: fullSubject,
    textBody: `${fullSubject}\n\n${text.join('\n\n')}\n\n${footer}\n`,
    htmlBody: [
      '<!doctype html>',
      '<html lang="sv"><head><meta charset="utf-8"><title>',
      escapeHtml(fullSubject),
      '</title></head><body style="font-family: Arial, sans-serif; color: #1a1a1a">',
      `<h1 style="font-size: 20px">${escapeHtml(fullSubject)}</h1>`,
      ...html,
      `<p style="color: #555; font-size: 13px">${escapeHtml(footer)}</p>`,
      '</body></html>',
    ].join(''),
  };
}

const todoLink = (settings: ReminderMailSettings) =>
  `Se Att göra i SITHS eID-portalen: ${new URL('/admin/att-gora', settings.publicUrl).href}`;

/** To the holder of an eID that expires within 30 days. */
export function eidExpiringMail(
  input: { validTo: Date; cardSerial: string | null; deviceName: string | null },
  settings: ReminderMailSettings,
): MailContent {
  const where = input.cardSerial
    ? `på SITHS-kortet med kortserienummer ${input.cardSerial}`
    : `i Mobilt SITHS på ${input.deviceName ?? 'din telefon'}`;
  return reminderMail(
    `Ditt SITHS eID går ut ${mailDate(input.validTo)}`,
    [
      `Ditt SITHS eID ${where} går ut ${mailDate(input.validTo)}.`,
      'Kontakta din chef eller kontaktperson för att beställa ett nytt i god tid, så att du kan fortsätta logga in.',
    ],
    settings,
  );
}

/** To the holder of a card that expires within 30 days. */
export function cardExpiringMail(
  input: { serial: string; validTo: Date },
  settings: ReminderMailSettings,
): MailContent {
  return reminderMail(
    `Ditt SITHS-kort går ut ${mailDate(input.validTo)}`,
    [
      `Ditt SITHS-kort med kortserienummer ${input.serial} går ut ${mailDate(input.validTo)}.`,
      'Kontakta din chef eller kontaktperson för att beställa ett nytt kort i god tid.',
    ],
    settings,
  );
}

export interface DigestLine {
  /** 'eID' or 'kort', and what identifies it. */
  what: string;
  holder: string;
  validTo: Date;
}

/** The weekly digest to a unit's contact person: the eIDs and cards in their units expiring within 30 days. */
export function expiryDigestMail(
  input: { week: string; lines: DigestLine[] },
  settings: ReminderMailSettings,
): MailContent {
  const lines = input.lines.map((line) => `${line.what}, ${line.holder}, går ut ${mailDate(line.validTo)}`);
  return reminderMail(
    `SITHS eID och kort som går ut inom 30 dagar, vecka ${input.week.slice(-2)}`,
    ['Följande SITHS eID och kort i dina enheter går ut inom 30 dagar:', { list: lines }, todoLink(settings)],
    settings,
  );
}

/** To a unit's contact persons when its reserve-card stock went under the threshold. */
export function reserveStockLowMail(
  input: { unitName: string; inStock: number; threshold: number },
  settings: ReminderMailSettings,
): MailContent {
  return reminderMail(
    `Lågt lager av reservkort: ${input.unitName}`,
    [
      `${input.unitName} har ${input.inStock} reservkort i lager, färre än gränsen ${input.threshold}.`,
      'Beställ nya reservkort så att enheten har kort när någon behöver ett.',
      todoLink(settings),
    ],
    settings,
  );
}

/** To the staff member who placed an order that expires in 14 days. */
export function orderExpiringMail(
  input: { orderId: string; type: OrderType; forWhom: string; expiresAt: Date },
  settings: ReminderMailSettings,
): MailContent {
  const orderUrl = new URL(`/admin/bestallningar/${encodeURIComponent(input.orderId)}`, settings.publicUrl);
  return reminderMail(
    `Din beställning går ut ${mailDate(input.expiresAt)}`,
    [
      `Beställningen av ${orderTypeNames[input.type]} för ${input.forWhom} har inte hämtats ut och går ut ${mailDate(input.expiresAt)}, tre månader efter att den lades.`,
      'Be personen hämta ut sitt SITHS eID före dess, annars behöver beställningen läggas på nytt.',
      `Beställningen: ${orderUrl.href}`,
    ],
    settings,
  );
}

/** To a unit's contact persons: a reserve card assigned 30 days ago is still not activated. */
export function reserveCardNotActivatedMail(
  input: { serial: string; unitName: string; holder: string; assignedAt: Date },
  settings: ReminderMailSettings,
): MailContent {
  return reminderMail(
    `Reservkort ${input.serial} är inte aktiverat`,
    [
      `Reservkortet ${input.serial} vid ${input.unitName} tilldelades ${input.holder} ${mailDate(input.assignedAt)} men har inte aktiverats.`,
      'Påminn personen om att aktivera kortet, eller dra tillbaka det till lagret.',
      todoLink(settings),
    ],
    settings,
  );
}
