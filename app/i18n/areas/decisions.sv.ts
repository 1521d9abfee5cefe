/** Swedish texts of signed decisions (spärr, second approval, role grants); keys start with 'decision.'. */
export const decisionsSv = {
  'decision.sign.intro':
    'Beslutet gäller först när du har undertecknat det med ditt SITHS eID. Välj hur du vill underteckna.',
  'decision.sign.withCard': 'Underteckna med SITHS eID på denna enhet',
  'decision.sign.withMobile': 'Underteckna med SITHS eID på annan enhet',
  'decision.sign.statementHeading': 'Det här undertecknar du',
  'decision.signedBy': 'Signerad av',
  'decision.signedAt': 'Undertecknad',
  'decision.download.cms': 'Hämta underskriften (CMS, .p7s)',
  'decision.download.statement': 'Hämta texten (.txt)',
  'decision.download.chain': 'Hämta CA-kedjan (.pem)',
  'decision.method.card': 'SITHS-kort',
  'decision.method.mobile_siths': 'Mobilt SITHS',
  'decision.error.no_person':
    'Ditt konto har ingen person och inget SITHS eID. Beslut som ska undertecknas fattas av en ID-administratör som loggat in med sitt SITHS eID.',
  'decision.error.not_found': 'Underskriften hittades inte. Börja om och underteckna beslutet igen.',
  'decision.error.not_signed': 'Beslutet är inte undertecknat ännu. Underteckna det och försök igen.',
  'decision.error.other_decision':
    'Underskriften gäller inte det här beslutet: uppgifterna har ändrats sedan du undertecknade. Underteckna igen.',
  'decision.error.signature_invalid':
    'Underskriften kunde inte godkännas: certifikatet är spärrat, har gått ut, tillhör någon annan eller så stämmer inte underskriften. Inget har ändrats.',
  'decision.error.already_used': 'Underskriften har redan använts för ett beslut. Underteckna igen.',
  'decision.error.signature_spent': 'Underskriften har redan använts för ett beslut. Underteckna igen.',
  'audit.action.decision_signed': 'Beslut undertecknat',
  'audit.action.decision_sign': 'Underteckna beslut',
} as const;
