/** Swedish texts of the dashboard's reserveCards pages; keys start with 'reserveCards.'. */
export const reserveCardsSv = {} as const;
