/** Swedish texts of the dashboard's orders pages; keys start with 'orders.'. */
export const ordersSv = {} as const;
