import type { minaSidorSv } from './minaSidor.sv';

export const minaSidorEn: Record<keyof typeof minaSidorSv, string> = {
  'mina.brand': 'SITHS My pages',
  'mina.brandTagline': 'A SERVICE FROM INERA',
  'mina.help': 'Help',
  'mina.nav': 'My pages',
  'mina.nav.eids': 'My SITHS eIDs',
  'mina.nav.getMobile': 'Get Mobile SITHS',
  'mina.nav.invalid': 'Show invalid SITHS eIDs',
  'mina.logout': 'Log out',
  'mina.toDashboard': 'To the SITHS eID portal',
  'mina.start.heading': 'Welcome to SITHS My pages',
  'mina.start.intro':
    'Manage your SITHS eIDs here: see your cards and Mobile SITHS, unlock a card and get Mobile SITHS.',
  'mina.start.login': 'LOG IN',
  'mina.start.activate': 'ACTIVATE YOUR RESERVE CARD',
  'mina.start.activateHint': 'Got a new reserve card in a sealed envelope? Activate it here.',
  'mina.login.heading': 'Log in',
  'mina.login.otherDevice': 'SITHS eID on another device',
  'mina.login.otherDeviceHint': 'Mobile SITHS: scan a QR code with your phone',
  'mina.login.thisDevice': 'SITHS eID on this device',
  'mina.login.thisDeviceHint': 'SITHS card in the card reader of this computer',
  'mina.back': 'Back',
} as const;
