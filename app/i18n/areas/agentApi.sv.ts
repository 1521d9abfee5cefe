/** Swedish texts of the SITHS eID-app's enrolment API and its audit entries; keys start with 'agentApi.' or 'audit.action.agent_'. */
export const agentApiSv = {
  'agentApi.refusal.invalid_request':
    'Förfrågan kunde inte läsas. Uppdatera SITHS eID-appen och försök igen.',
  'agentApi.refusal.unknown_code': 'Registreringskoden finns inte. Kontrollera att du skrivit av den rätt.',
  'agentApi.refusal.expired_code': 'Registreringskoden har gått ut. Be om en ny kod.',
  'agentApi.refusal.used_code': 'Registreringskoden är redan använd. Be om en ny kod.',
  'agentApi.refusal.withdrawn_code': 'Registreringskoden är återkallad. Be om en ny kod.',
  'agentApi.refusal.key_known': 'Den här datorns nyckel är redan registrerad.',
  'agentApi.refusal.too_many_attempts': 'För många felaktiga koder. Vänta en stund och försök igen.',
  'agentApi.refusal.unknown_agent': 'Datorn är inte registrerad i siths-desk. Registrera den med en ny kod.',
  'agentApi.refusal.revoked': 'Datorn är spärrad i siths-desk. Kontakta IT-support.',
  'audit.action.agent_enrol': 'Registrera dator med SITHS eID-app',
  'audit.action.agent_enrolled': 'Dator registrerad med SITHS eID-app',
  'audit.action.agent_connect': 'Anslutning från SITHS eID-app',
};
