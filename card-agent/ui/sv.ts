import type { EnrolmentRefusalCode } from '../../protocol/agent-enrolment';
import type { CardSnapshot, JobErrorCode, JobKind, JobStepName } from '../../protocol/jobs';
import type { NewPinProblem } from '../jobs/pin-prompts';

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
  /** The code policy (card-agent/piv/pin-policy.ts), stated in the prompt. */
  newPinPolicy:
    'Koden får inte vara en och samma siffra (111111) eller en sifferföljd uppåt eller nedåt (123456, 876543).',
  assistedBy: (staffName: string) => `${staffName} på support hjälper dig att låsa upp kortet.`,
  supportHelp: 'Få hjälp av support',
  supportCodeLabel: 'Kod till support',
  supportCodeRead: (minutes: number) =>
    `Läs upp koden för supporten. Den gäller i ${minutes} ${minutes === 1 ? 'minut' : 'minuter'}.`,
  supportCodeTimeLeft: 'Tid kvar:',
  supportCodeExpired: 'Koden har gått ut',
  supportCodeFailed: 'Det gick inte att få en kod till support. Försök igen om en stund.',
  supportPaired: (staffName: string) => `${staffName} på support är kopplad till den här datorn`,
  signatureJobTitle: 'Underskrift med SITHS-kort',
  signatureTitle: 'Underteckna',
  signatureIntro: 'Jag undertecknar:',
  signaturePrompt: 'Ange pinkod för SITHS-kort (Underskrift)',
  /** SITHS calls it PIN2; a PIV card has one PIN, so the user types the code they log in with. */
  signatureLabel: 'Ange underskriftskod (samma som PIN1)',
  submitSignature: 'Underteckna',
  signed: 'Beslutet är undertecknat',
  enrolTitle: 'Registrera den här datorn',
  enrolText:
    'Datorn behöver registreras i siths-desk innan SITHS eID-appen kan användas. Skriv registreringskoden du har fått av IT-support.',
  enrolLabel: 'Registreringskod',
  enrolSubmit: 'Registrera',
  enrolCodeMissing: 'Skriv registreringskoden.',
  enrolWorking: 'Registrerar datorn …',
  enrolled: (name: string) => `Datorn är registrerad som ”${name}”.`,
  revoked:
    'Den här datorn är spärrad i siths-desk och kan inte användas med SITHS eID-appen. Kontakta IT-support.',
  replaced:
    'En annan SITHS eID-app med den här datorns nyckel har anslutit, så den här är frånkopplad. Har du inte startat appen en gång till? Kontakta IT-support.',
  enrolmentRequired:
    'siths-desk godtar bara registrerade datorer. Be IT-support om en registreringskod och skriv den nedan.',
  notEnrolledAnyMore:
    'Datorn är inte längre registrerad i siths-desk. Be IT-support om en ny registreringskod.',
  versionUnsupported: (current: string) =>
    `Uppdatera SITHS eID-appen. Den här versionen kan inte längre användas med kortet. Senaste version är ${current}.`,
  versionOutdated: (current: string) =>
    `Det finns en ny version av SITHS eID-appen (${current}). Uppdatera när det passar.`,
  pcscUnavailable:
    'Kortläsartjänsten (pcscd) körs inte på datorn, så inga kortläsare kan läsas. Kontakta IT-support.',
  alreadyRunning: (port: number) =>
    `SITHS eID-appen körs redan på den här datorn (port ${port}). Använd fönstret som redan är öppet.`,
} as const;

/** Why enrolment was refused (protocol/agent-enrolment.ts), or why the server could not be asked. */
export const enrolmentRefusals: Record<EnrolmentRefusalCode | 'unreachable', string> = {
  invalid_request: 'Koden ska vara tolv tecken, till exempel ABCD-EFGH-JKMN.',
  unknown_code: 'Registreringskoden finns inte. Kontrollera att du skrivit av den rätt.',
  expired_code: 'Registreringskoden har gått ut. Be IT-support om en ny kod.',
  used_code: 'Registreringskoden är redan använd. Be IT-support om en ny kod.',
  withdrawn_code: 'Registreringskoden är återkallad. Be IT-support om en ny kod.',
  key_known: 'Datorns nyckel är redan registrerad. Starta om SITHS eID-appen.',
  too_many_attempts: 'För många felaktiga koder. Vänta en kvart och försök igen.',
  unreachable: 'Det gick inte att nå siths-desk. Kontrollera nätverket och försök igen.',
};

/** Why a new code was refused; the prompt stays open. */
export const newPinProblems: Record<NewPinProblem, string> = {
  invalid_new_pin: sv.pinRule,
  pin_all_same: 'Koden får inte vara en och samma siffra, som 111111. Välj en annan kod.',
  pin_sequence:
    'Koden får inte vara en sifferföljd uppåt eller nedåt, som 123456 eller 876543. Välj en annan kod.',
  pin_same_as_previous: 'Den nya koden får inte vara samma som den gamla. Välj en annan kod.',
  new_pin_mismatch: sv.newPinMismatch,
};

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
  if (code === 'wrong_pin' && tries !== undefined) return `Fel PIN-kod. Du har ${tries} försök kvar.`;
  return errorTexts[code];
}

/** Why a job failed or was refused, each with what the user can do about it. */
const errorTexts: Record<JobErrorCode, string> = {
  reader_not_found: 'Kortläsaren hittades inte. Anslut kortläsaren och försök igen.',
  no_card: 'Inget kort i läsaren. Sätt i ditt SITHS-kort.',
  card_removed: 'Kortet togs ut ur läsaren. Sätt i kortet och försök igen.',
  reader_gone: 'Kortläsaren kopplades bort. Anslut den och försök igen.',
  wrong_card: 'Fel kort i läsaren. Sätt i det SITHS-kort som ärendet gäller och försök igen.',
  several_cards: 'Flera kort i läsarna. Ta ut de kort du inte ska använda.',
  wrong_pin: 'Fel PIN-kod. Försök igen.',
  pin_blocked: 'PIN-koden är spärrad. Lås upp kortet på SITHS Mina sidor eller tryck på Få hjälp av support.',
  wrong_puk: 'Kortet kunde inte låsas upp (fel PUK-kod). Kontakta support.',
  puk_blocked:
    'PUK-koden är spärrad och kortet kan inte låsas upp. Kontakta din chef eller kontaktperson på enheten.',
  management_key_rejected: 'Kortet kunde inte förberedas. Kontakta support.',
  card_not_authentic: 'Kortet kunde inte kontrolleras som äkta. Kontakta support.',
  card_error: 'Kortet svarade inte som väntat. Ta ut kortet, sätt i det igen och försök på nytt.',
  reserve_card_not_activated:
    'Felkod 2004. Ej aktiverat reservkort. Du måste aktivera ditt reservkort innan du kan logga in med det: välj AKTIVERA DITT RESERVKORT på SITHS Mina sidor.',
  no_eid_order:
    'Felkod 2006. Beställning av SITHS eID saknas. Kontakta din chef eller kontaktperson på enheten.',
  certificate_rejected: 'Kortets SITHS eID godtogs inte. Kontakta support.',
  card_not_active: 'Kortet är inte giltigt. Kontakta din chef eller kontaktperson på enheten.',
  card_busy: 'Kortet används redan i ett annat ärende. Vänta tills det är klart och försök igen.',
  new_pin_mismatch: 'Koderna stämmer inte överens. Försök igen.',
  user_cancelled: 'Du avbröt.',
  cancelled_by_support: 'Support avbröt ärendet.',
  step_timeout: 'Det tog för lång tid. Försök igen.',
  agent_disconnected: 'Förbindelsen med servern bröts. Kontrollera nätverket och försök igen.',
  agent_busy: 'Appen är upptagen med ett annat ärende. Vänta tills det är klart och försök igen.',
  agent_outdated: 'Uppdatera SITHS eID-appen. Den här versionen kan inte längre användas med kortet.',
  job_not_active: 'Ärendet pågår inte längre i den här appen. Börja om.',
  agent_protocol_error: 'SITHS eID-appen svarade inte som väntat. Starta om appen och försök igen.',
  internal: 'Ett oväntat fel inträffade. Försök igen, eller kontakta support om felet finns kvar.',
};
