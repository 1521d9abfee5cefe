/** Swedish texts of Protected identities (skyddade personuppgifter); keys start with 'protected.' */
export const protectedIdentitySv = {} as const;
