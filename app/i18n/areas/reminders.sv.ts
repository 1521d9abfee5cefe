/** Swedish texts of Reminders and the Att göra page; keys start with 'reminders.' or 'todo.' */
export const remindersSv = {} as const;
