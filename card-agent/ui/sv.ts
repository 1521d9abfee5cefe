import type { CardSnapshot, JobErrorCode, JobKind, JobStepName } from '../../protocol/jobs';

/** The agent's UI text (web page and terminal). Swedish only: the agent runs for Swedish healthcare staff. */
export const sv = {
  appTitle: 'SITHS eID-app',
  ready: 'Klar att användas',
  done: 'Klart',
  working: 'Pågår',
  pinPrompt: 'Ange pinkod för SITHS-kort (Legitimering)',
  pinLabel: 'Ange säkerhetskod (PIN1)',
  pinRule: 'Säkerhetskoden är 6-8 siffror.',
  terminalCancelHint: '(tom rad = Avbryt)',
  supportMessage: 'Meddelande från support',
  cardSerial: 'Serienummer',
  triesLeft: (tries: number) => `${tries} försök kvar`,
  cardInReader: 'kort i läsaren',
  noCardInReader: 'inget kort',
  noReaders: 'Ingen kortläsare hittades. Anslut en kortläsare.',
  submitPin: 'Legitimera',
  cancel: 'Avbryt',
  ok: 'OK',
  loginFor: (relyingParty: string) => `Jag legitimerar mig hos ${relyingParty}`,
  registrationTitle: 'Ditt kort behöver registreras',
  registrationText:
    'Ditt SITHS-kort behöver registreras för att kunna användas. Vänligen legitimera dig genom att ange din personliga legitimeringskod för att utföra registreringen.',
  activationTitle: 'Aktivera reservkort',
  activationText: 'Ange säkerhetskoden som du fick i kuvertet med reservkortet.',
  activationKeepCard: 'Kortet måste sitta kvar i kortläsaren tills aktiveringen är genomförd!',
  submitActivation: 'Aktivera',
  newPinTitle: 'Välj ny säkerhetskod',
  newPinText: 'Ange en ny säkerhetskod till ditt SITHS-kort, 6-8 siffror, och upprepa den.',
  unlockKeepCard: 'OBS! SITHS-kortet måste sitta i kortläsaren under hela upplåsningen.',
  newPinLabel: 'Ny säkerhetskod (PIN1)',
  newPinRepeatLabel: 'Upprepa den nya säkerhetskoden',
  submitNewPin: 'Lås upp kort',
  newPinMismatch: 'Koderna stämmer inte överens. Ange samma kod i båda fälten.',
  signatureJobTitle: 'Underskrift med SITHS-kort',
  signatureTitle: 'Underteckna',
  signatureIntro: 'Jag undertecknar:',
  signaturePrompt: 'Ange pinkod för SITHS-kort (Underskrift)',
  /** SITHS calls it PIN2; a PIV card has one PIN, so the user types the code they log in with. */
  signatureLabel: 'Ange underskriftskod (samma som PIN1)',
  submitSignature: 'Underteckna',
  signed: 'Beslutet är undertecknat',
} as const;

/** What a finished job says when it went well. */
export const successTexts: Record<JobKind, string> = {
  card_check: 'Klart',
  authenticate: 'Du är legitimerad',
  unlock: 'Kortet är upplåst',
  activate: 'Ditt reservkort är nu klart att använda',
};

export const jobTitles: Record<JobKind, string> = {
  card_check: 'Läser kortet och verifierar säkerhetskoden',
  authenticate: 'Legitimering med SITHS-kort',
  unlock: 'Låser upp kortet',
  activate: 'Aktiverar reservkortet',
};

export const stepTexts: Record<JobStepName, string> = {
  reader_found: 'Letar efter kortläsaren',
  card_present: 'Kontrollerar att kortet sitter i läsaren',
  card_read: 'Läser kortet',
  waiting_for_user: 'Väntar på din säkerhetskod',
  card_verified: 'Kontrollerar säkerhetskoden',
  card_registered: 'Registrerar kortet',
  challenge_signed: 'Legitimerar dig',
  statement_signed: 'Undertecknar',
  card_proven: 'Kontrollerar att kortet är äkta',
  pin_set: 'Sparar den nya koden på kortet',
  management_key_authenticated: 'Förbereder kortet',
  keys_generated: 'Skapar nycklar på kortet',
  certificates_issued: 'Förbereder hämtningen av SITHS eID',
  certificates_written: 'Skriver SITHS eID till kortet',
  certificates_verified: 'Kontrollerar SITHS eID på kortet',
};

export function errorText(code: JobErrorCode, card: CardSnapshot = {}): string {
  const tries = card.pinTriesLeft;
  switch (code) {
    case 'wrong_pin':
      return tries === undefined ? 'Fel PIN-kod.' : `Fel PIN-kod. Du har ${tries} försök kvar.`;
    case 'pin_blocked':
      return 'PIN-koden är spärrad';
    default:
      return errorTexts[code];
  }
}

const errorTexts: Record<JobErrorCode, string> = {
  reader_not_found: 'Kortläsaren hittades inte',
  no_card: 'Inget kort i läsaren. Sätt i ditt SITHS-kort.',
  card_removed: 'Kortet togs ut ur läsaren',
  reader_gone: 'Kortläsaren kopplades bort',
  wrong_card: 'Fel kort i läsaren',
  several_cards: 'Flera kort i läsarna. Ta ut de kort du inte ska använda.',
  wrong_pin: 'Fel PIN-kod.',
  pin_blocked: 'PIN-koden är spärrad',
  wrong_puk: 'Fel PUK-kod',
  puk_blocked: 'PUK-koden är spärrad',
  management_key_rejected: 'Kortet kunde inte förberedas',
  card_not_authentic: 'Kortet kunde inte kontrolleras som äkta',
  card_error: 'Kortet svarade inte som väntat',
  reserve_card_not_activated: 'Felkod 2004. Ej aktiverat reservkort.',
  no_eid_order: 'Felkod 2006. Beställning av SITHS eID saknas.',
  certificate_rejected: 'Kortets SITHS eID godtogs inte',
  card_not_active: 'Kortet är inte giltigt',
  card_busy: 'Kortet används redan i ett annat ärende',
  new_pin_mismatch: 'Koderna stämmer inte överens',
  user_cancelled: 'Du avbröt',
  cancelled_by_support: 'Support avbröt ärendet',
  step_timeout: 'Det tog för lång tid. Försök igen.',
  agent_disconnected: 'Förbindelsen med servern bröts',
  agent_busy: 'Appen är upptagen med ett annat ärende',
  job_not_active: 'Ärendet pågår inte längre i den här appen. Börja om.',
  agent_protocol_error: 'SITHS eID-appen svarade inte som väntat. Starta om appen och försök igen.',
  internal: 'Ett oväntat fel inträffade',
};
