/** Swedish texts of the dashboard's persons pages; keys start with 'persons.'. */
export const personsSv = {} as const;
