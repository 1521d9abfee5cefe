/** Mina sidor, the end user's pages: the words of the user guides in ../shared/seeds/. */
export const minaSidorSv = {
  'mina.brand': 'SITHS Mina sidor',
  'mina.brandTagline': 'EN TJÄNST FRÅN INERA',
  'mina.help': 'Hjälp',
  'mina.nav': 'Mina sidor',
  'mina.nav.eids': 'Mina SITHS eID',
  'mina.nav.getMobile': 'Hämta Mobilt SITHS',
  'mina.nav.invalid': 'Visa ogiltiga SITHS eID',
  'mina.logout': 'Logga ut',
  'mina.toDashboard': 'Till SITHS eID-portalen',
  'mina.start.heading': 'Välkommen till SITHS Mina sidor',
  'mina.start.intro':
    'Här hanterar du dina SITHS eID: se dina kort och Mobilt SITHS, lås upp ett kort och hämta Mobilt SITHS.',
  'mina.start.login': 'LOGGA IN',
  'mina.start.activate': 'AKTIVERA DITT RESERVKORT',
  'mina.start.activateHint': 'Har du fått ett nytt reservkort i ett obrutet kuvert? Aktivera det här.',
  'mina.login.heading': 'Logga in',
  'mina.login.otherDevice': 'SITHS eID på annan enhet',
  'mina.login.otherDeviceHint': 'Mobilt SITHS: skanna en QR-kod med mobilen',
  'mina.login.thisDevice': 'SITHS eID på denna enhet',
  'mina.login.thisDeviceHint': 'SITHS-kort i kortläsaren på den här datorn',
  'mina.back': 'Tillbaka',
} as const;
