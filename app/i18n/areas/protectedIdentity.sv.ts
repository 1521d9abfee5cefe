/** Swedish texts of Protected identities (skyddade personuppgifter); keys start with 'protected.' */
export const protectedIdentitySv = {
  'protected.identity': 'Skyddad identitet',
  'protected.badge.title':
    'Personen har skyddade personuppgifter: visa inget om dem för den som inte är behörig',
} as const;
