/** Swedish texts of the dashboard's audit pages; keys start with 'audit.'. */
export const auditSv = {} as const;
