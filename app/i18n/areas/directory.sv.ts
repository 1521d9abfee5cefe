/** Swedish texts of Directory sync (Synkronisera nu, Att spärra); keys start with 'directory.' */
export const directorySv = {} as const;
