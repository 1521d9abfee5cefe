import type { mobileSithsSv } from './mobileSiths.sv';

export const mobileSithsEn: Record<keyof typeof mobileSithsSv, string> = {
  'mobile.login.heading': 'SITHS eID on another device',
  'mobile.login.scan': 'Scan the QR code with your phone',
  'mobile.login.instructions':
    'Open the Mobile SITHS app on your phone, choose Scan QR code and point the camera at the QR code. Then enter your code in the app.',
  'mobile.login.cancel': 'Cancel',
  'mobile.login.collectFailed': 'The login could not be completed. Please try again.',
  'mobile.qr.label': 'QR code for Mobile SITHS',
  'mobile.qr.loading': 'Fetching QR code …',
  'mobile.qr.secondsLeft': 'The QR code is valid for {seconds} more seconds.',
  'mobile.qr.scanned': 'The QR code has been scanned. Enter your Mobile SITHS code on your phone.',
  'mobile.qr.completed': 'You are identified.',
  'mobile.qr.expired': 'The time to identify yourself has run out (2 minutes).',
  'mobile.qr.cancelled': 'The identification was cancelled.',
  'mobile.qr.retry': 'Try again',
  'mobile.refusal.invalid_input': 'The data could not be read. Please try again.',
  'mobile.refusal.invalid_qr': 'The QR code is not a Mobile SITHS QR code of this service.',
  'mobile.refusal.stale_qr': 'The QR code is too old. Scan the QR code shown on the screen right now.',
  'mobile.refusal.order_expired':
    'The time to identify yourself has run out. Choose Try again on the computer and scan the new QR code.',
  'mobile.refusal.order_used':
    'The QR code has already been scanned. Choose Try again on the computer and scan the new QR code.',
  'mobile.refusal.order_closed': 'The identification is no longer in progress. Start again on the computer.',
  'mobile.refusal.unknown_device':
    'Mobile SITHS on this phone is not registered. Fetch Mobile SITHS in Mina sidor.',
  'mobile.refusal.device_revoked': 'Mobile SITHS on this phone is revoked.',
  'mobile.refusal.device_locked':
    'Mobile SITHS on this phone is locked after five wrong codes. Fetch a new Mobile SITHS with your SITHS card or contact your local support.',
  'mobile.refusal.wrong_code': 'Wrong code.',
  'mobile.refusal.attemptsLeft': 'You have {attempts} attempts left before Mobile SITHS is locked.',
  'mobile.refusal.bad_signature':
    'The identification could not be verified. Fetch Mobile SITHS again or contact your local support.',
  'mobile.refusal.certificate_invalid':
    'The SITHS eID of your Mobile SITHS is not valid (revoked or expired).',
  'mobile.refusal.wrong_person':
    'This Mobile SITHS belongs to someone other than the logged-in person. Identify yourself with your own Mobile SITHS.',
  'mobile.refusal.rate_limited': 'Too many failed attempts. Wait 15 minutes and try again.',
  'mobile.refusal.enrolment_invalid': 'The QR code for fetching Mobile SITHS is not valid.',
  'mobile.refusal.enrolment_used':
    'The QR code for fetching Mobile SITHS has already been used. Start again in Mina sidor.',
  'mobile.refusal.enrolment_expired':
    'The QR code for fetching Mobile SITHS was valid for 15 minutes and has expired. Start again in Mina sidor.',
  'mobile.refusal.card_login_required':
    'To fetch Mobile SITHS you need to be logged in with your SITHS card. Log out and log in with SITHS eID on this device.',
  'mobile.refusal.session_ended':
    'You have logged out of Mina sidor. Log in with your SITHS card and start again.',
  'mobile.refusal.too_many_devices':
    'You already have three active Mobile SITHS, which is the maximum. Contact your local support to revoke one before fetching a new one.',
  'mobile.refusal.bad_key': "The phone's key could not be used. Please try again.",
  'mobile.refusal.no_holder':
    'You have no organisation in the HSA catalogue and cannot get a SITHS eID. Contact your local support.',
  'mobile.enrol.heading': 'Fetch Mobile SITHS',
  'mobile.enrol.intro':
    'With Mobile SITHS you identify yourself with your phone, for example when you log in to Mina sidor.',
  'mobile.enrol.termsHeading': 'Terms of Mobile SITHS',
  'mobile.enrol.terms1':
    'Mobile SITHS is personal. Do not let anyone else identify themselves with your phone.',
  'mobile.enrol.terms2': 'You choose a code of 6–8 digits. Keep it secret.',
  'mobile.enrol.terms3': 'After five wrong codes in a row Mobile SITHS is locked.',
  'mobile.enrol.terms4': 'You can have at most three active Mobile SITHS.',
  'mobile.enrol.terms5':
    'If you lose your phone, contact your local support to have your Mobile SITHS revoked.',
  'mobile.enrol.accept': 'I have read and accept the terms',
  'mobile.enrol.acceptRequired': 'You need to accept the terms.',
  'mobile.enrol.start': 'Fetch Mobile SITHS',
  'mobile.enrol.scan': 'Scan the QR code with the Mobile SITHS app on your phone',
  'mobile.enrol.validFor': 'The QR code is valid for 15 minutes and can be used once.',
  'mobile.enrol.waiting': 'Waiting for the phone …',
  'mobile.enrol.done': 'Your Mobile SITHS is ready',
  'mobile.enrol.doneDevice': '{name} is now registered as your Mobile SITHS.',
  'mobile.enrol.expired': 'The QR code has expired.',
  'mobile.enrol.startAgain': 'Start again',
  'mobile.enrol.toEids': 'To My SITHS eIDs',
  'mobile.enrol.activeDevices': 'Your active Mobile SITHS',
  'mobile.enrol.limitHeading': 'You have three active Mobile SITHS',
  'mobile.enrol.needsCardHeading': 'Log in with your SITHS card',
  'mobile.app.title': 'Mobile SITHS',
  'mobile.app.tagline': 'SITHS eID app – simulator for demo and test',
  'mobile.app.ready': 'Ready to use',
  'mobile.app.noDevice':
    'There is no Mobile SITHS on this phone. Choose Fetch Mobile SITHS in Mina sidor and scan the QR code.',
  'mobile.app.devices': 'Mobile SITHS on this phone',
  'mobile.app.deviceName': 'Device',
  'mobile.app.holder': 'Holder',
  'mobile.app.trustLevel': 'Trust level',
  'mobile.app.validTo': 'Valid to',
  'mobile.app.remove': 'Remove',
  'mobile.app.useDevice': 'Identify with',
  'mobile.app.scan': 'Scan QR code',
  'mobile.app.scanHint': 'The simulator reads the QR code Mina sidor shows in another tab of this browser.',
  'mobile.app.lastSeen': 'Last QR code seen on the screen',
  'mobile.app.noQrSeen':
    'No QR code is on the screen. Open Mina sidor in another tab, or paste the QR code content below.',
  'mobile.app.pasteLabel': 'QR code (content)',
  'mobile.app.pasteSubmit': 'Scan pasted QR code',
  'mobile.app.identifyAt': 'I identify myself to {host}',
  'mobile.app.purposeReauth': 'to unlock my SITHS card',
  'mobile.app.codeLabel': 'Enter your Mobile SITHS code',
  'mobile.app.identify': 'Identify',
  'mobile.app.cancel': 'Cancel',
  'mobile.app.done': 'You are now identified',
  'mobile.app.ok': 'OK',
  'mobile.app.enrolHeading': 'Fetch Mobile SITHS',
  'mobile.app.enrolDeviceName': 'Name of the phone',
  'mobile.app.chooseCode': 'Choose a code (6–8 digits)',
  'mobile.app.repeatCode': 'Repeat the code',
  'mobile.app.register': 'Register',
  'mobile.app.codeFormat': 'The code must be 6–8 digits.',
  'mobile.app.codeMismatch': 'The codes do not match.',
  'mobile.app.nameRequired': 'Enter a name for the phone (at most 60 characters).',
  'mobile.app.registered': 'Your Mobile SITHS is ready to use',
  'mobile.app.noCrypto':
    'The browser cannot make keys here: open the simulator over https or on localhost/127.0.0.1.',
  'mobile.app.networkError': 'The service could not be reached. Please try again.',
  'mobile.app.busy': 'Please wait …',
  'audit.action.login_mobile_siths': 'Login with Mobile SITHS',
  'audit.action.reauth_mobile_siths': 'Identification with Mobile SITHS for unlocking',
  'audit.action.mobile_siths_scan': 'QR code scanned with Mobile SITHS',
  'audit.action.mobile_enrol_start': 'Fetch Mobile SITHS started',
  'audit.action.mobile_enrol': 'Register Mobile SITHS',
  'audit.action.login_rate_limited': 'Login stopped after too many attempts',
};
