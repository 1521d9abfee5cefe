/**
 * Mobilt SITHS: login on another device, the re-authentication QR, "Hämta Mobilt SITHS" and the phone
 * simulator. Words from ../shared/seeds/unlock-card-with-mobile-siths.txt. `{name}` marks a value filled in.
 */
export const mobileSithsSv = {
  'mobile.login.heading': 'SITHS eID på annan enhet',
  'mobile.login.scan': 'Skanna QR-koden med mobilen',
  'mobile.login.instructions':
    'Öppna appen Mobilt SITHS i mobilen, välj Skanna QR-kod och rikta kameran mot QR-koden. Ange sedan din legitimeringskod i appen.',
  'mobile.login.cancel': 'Avbryt',
  'mobile.login.collectFailed': 'Inloggningen kunde inte slutföras. Försök igen.',
  'mobile.qr.label': 'QR-kod för Mobilt SITHS',
  'mobile.qr.loading': 'Hämtar QR-kod …',
  'mobile.qr.secondsLeft': 'QR-koden gäller i {seconds} sekunder till.',
  'mobile.qr.scanned': 'QR-koden är skannad. Ange legitimeringskoden för Mobilt SITHS i mobilen.',
  'mobile.qr.completed': 'Du är legitimerad.',
  'mobile.qr.expired': 'Tiden för att legitimera dig har gått ut (2 minuter).',
  'mobile.qr.cancelled': 'Legitimeringen avbröts.',
  'mobile.qr.retry': 'Försök igen',
  'mobile.refusal.invalid_input': 'Uppgifterna kunde inte läsas. Försök igen.',
  'mobile.refusal.invalid_qr': 'QR-koden är inte en QR-kod för Mobilt SITHS från den här tjänsten.',
  'mobile.refusal.stale_qr': 'QR-koden är för gammal. Skanna QR-koden som visas på skärmen just nu.',
  'mobile.refusal.order_expired':
    'Tiden för legitimeringen har gått ut. Välj Försök igen på datorn och skanna den nya QR-koden.',
  'mobile.refusal.order_used':
    'QR-koden har redan skannats. Välj Försök igen på datorn och skanna den nya QR-koden.',
  'mobile.refusal.order_closed': 'Legitimeringen pågår inte längre. Börja om på datorn.',
  'mobile.refusal.unknown_device':
    'Mobilt SITHS på den här mobilen är inte registrerat. Hämta Mobilt SITHS i Mina sidor.',
  'mobile.refusal.device_revoked': 'Mobilt SITHS på den här mobilen är spärrat.',
  'mobile.refusal.device_locked':
    'Mobilt SITHS på den här mobilen är låst efter fem felaktiga legitimeringskoder. Hämta ett nytt Mobilt SITHS med ditt SITHS-kort eller kontakta din lokala support.',
  'mobile.refusal.wrong_code': 'Fel legitimeringskod.',
  'mobile.refusal.attemptsLeft': 'Du har {attempts} försök kvar innan Mobilt SITHS låses.',
  'mobile.refusal.waitSeconds': 'Vänta {seconds} sekunder och försök igen.',
  'mobile.refusal.bad_signature':
    'Legitimeringen kunde inte kontrolleras. Hämta Mobilt SITHS på nytt eller kontakta din lokala support.',
  'mobile.refusal.certificate_invalid':
    'SITHS eID i ditt Mobilt SITHS är inte giltigt (spärrat eller utgånget).',
  'mobile.refusal.wrong_person':
    'Mobilt SITHS tillhör en annan person än den som är inloggad. Legitimera dig med ditt eget Mobilt SITHS.',
  'mobile.refusal.rate_limited': 'För många misslyckade legitimeringsförsök.',
  'mobile.refusal.enrolment_invalid': 'QR-koden för att hämta Mobilt SITHS är inte giltig.',
  'mobile.refusal.enrolment_used':
    'QR-koden för att hämta Mobilt SITHS har redan använts. Börja om i Mina sidor.',
  'mobile.refusal.enrolment_expired':
    'QR-koden för att hämta Mobilt SITHS gällde i 15 minuter och har slutat gälla. Börja om i Mina sidor.',
  'mobile.refusal.card_login_required':
    'För att hämta Mobilt SITHS behöver du vara inloggad med ditt SITHS-kort. Logga ut och logga in med SITHS eID på denna enhet.',
  'mobile.refusal.session_ended':
    'Du har loggat ut från Mina sidor. Logga in med ditt SITHS-kort och börja om.',
  'mobile.refusal.too_many_devices':
    'Du har redan tre aktiva Mobilt SITHS, vilket är det högsta antalet. Kontakta din lokala support för att spärra ett av dem innan du hämtar ett nytt.',
  'mobile.refusal.bad_key': 'Mobilens nyckel kunde inte användas. Försök igen.',
  'mobile.refusal.no_holder':
    'Du saknar organisation i HSA-katalogen och kan inte få ett SITHS eID. Kontakta din lokala support.',
  'mobile.enrol.heading': 'Hämta Mobilt SITHS',
  'mobile.enrol.intro':
    'Med Mobilt SITHS legitimerar du dig med mobilen, till exempel när du loggar in på Mina sidor.',
  'mobile.enrol.termsHeading': 'Villkor för Mobilt SITHS',
  'mobile.enrol.terms1': 'Mobilt SITHS är personligt. Låt ingen annan legitimera sig med din mobil.',
  'mobile.enrol.terms2': 'Du väljer en legitimeringskod på 6–8 siffror. Håll den hemlig.',
  'mobile.enrol.terms3': 'Efter fem felaktiga legitimeringskoder i rad låses Mobilt SITHS.',
  'mobile.enrol.terms4': 'Du kan ha högst tre aktiva Mobilt SITHS.',
  'mobile.enrol.terms5':
    'Tappar du bort mobilen ska du kontakta din lokala support så att ditt Mobilt SITHS spärras.',
  'mobile.enrol.accept': 'Jag har läst och godkänner villkoren',
  'mobile.enrol.acceptRequired': 'Du behöver godkänna villkoren.',
  'mobile.enrol.start': 'Hämta Mobilt SITHS',
  'mobile.enrol.scan': 'Skanna QR-koden med appen Mobilt SITHS i mobilen',
  'mobile.enrol.validFor': 'QR-koden gäller i 15 minuter och kan bara användas en gång.',
  'mobile.enrol.waiting': 'Väntar på mobilen …',
  'mobile.enrol.done': 'Ditt Mobilt SITHS är klart',
  'mobile.enrol.doneDevice': '{name} är nu registrerad som ditt Mobilt SITHS.',
  'mobile.enrol.expired': 'QR-koden har slutat gälla.',
  'mobile.enrol.startAgain': 'Börja om',
  'mobile.enrol.toEids': 'Till Mina SITHS eID',
  'mobile.enrol.activeDevices': 'Dina aktiva Mobilt SITHS',
  'mobile.enrol.limitHeading': 'Du har tre aktiva Mobilt SITHS',
  'mobile.enrol.needsCardHeading': 'Logga in med SITHS-kort',
  'mobile.app.title': 'Mobilt SITHS',
  'mobile.app.tagline': 'SITHS eID-app – simulator för demo och test',
  'mobile.app.ready': 'Klar att användas',
  'mobile.app.noDevice':
    'Det finns inget Mobilt SITHS i den här mobilen. Välj Hämta Mobilt SITHS i Mina sidor och skanna QR-koden.',
  'mobile.app.devices': 'Mobilt SITHS i den här mobilen',
  'mobile.app.deviceName': 'Enhet',
  'mobile.app.holder': 'Innehavare',
  'mobile.app.trustLevel': 'Tillitsnivå',
  'mobile.app.validTo': 'Giltig till',
  'mobile.app.remove': 'Ta bort',
  'mobile.app.useDevice': 'Legitimera med',
  'mobile.app.scan': 'Skanna QR-kod',
  'mobile.app.scanHint': 'Simulatorn läser QR-koden som Mina sidor visar i en annan flik i samma webbläsare.',
  'mobile.app.lastSeen': 'Senast sedda QR-kod på skärmen',
  'mobile.app.noQrSeen':
    'Ingen QR-kod syns på skärmen. Öppna Mina sidor i en annan flik, eller klistra in QR-kodens innehåll nedan.',
  'mobile.app.pasteLabel': 'QR-kod (innehåll)',
  'mobile.app.pasteSubmit': 'Skanna inklistrad QR-kod',
  'mobile.app.identifyAt': 'Jag legitimerar mig hos {host}',
  'mobile.app.purposeReauth': 'för att låsa upp mitt SITHS-kort',
  'mobile.app.codeLabel': 'Ange legitimeringskoden för Mobilt SITHS',
  'mobile.app.identify': 'Legitimera',
  'mobile.app.cancel': 'Avbryt',
  'mobile.app.done': 'Du är nu legitimerad',
  'mobile.app.ok': 'OK',
  'mobile.app.enrolHeading': 'Hämta Mobilt SITHS',
  'mobile.app.enrolDeviceName': 'Namn på mobilen',
  'mobile.app.chooseCode': 'Välj legitimeringskod (6–8 siffror)',
  'mobile.app.repeatCode': 'Upprepa legitimeringskoden',
  'mobile.app.register': 'Registrera',
  'mobile.app.codeFormat': 'Legitimeringskoden ska vara 6–8 siffror.',
  'mobile.app.codeMismatch': 'Legitimeringskoderna stämmer inte överens.',
  'mobile.app.nameRequired': 'Ange ett namn på mobilen (högst 60 tecken).',
  'mobile.app.registered': 'Ditt Mobilt SITHS är klart att användas',
  'mobile.app.noCrypto':
    'Webbläsaren kan inte skapa nycklar här: öppna simulatorn via https eller på localhost/127.0.0.1.',
  'mobile.app.networkError': 'Tjänsten kunde inte nås. Försök igen.',
  'mobile.app.busy': 'Vänta …',
  'audit.action.login_mobile_siths': 'Inloggning med Mobilt SITHS',
  'audit.action.reauth_mobile_siths': 'Legitimering med Mobilt SITHS för upplåsning',
  'audit.action.mobile_siths_scan': 'QR-kod skannad med Mobilt SITHS',
  'audit.action.mobile_enrol_start': 'Hämta Mobilt SITHS påbörjat',
  'audit.action.mobile_enrol': 'Registrera Mobilt SITHS',
  'audit.action.login_rate_limited': 'Inloggning stoppad efter för många försök',
  'audit.action.auth_order_start': 'Start av inloggning eller registrering',
} as const;
