import type { remindersSv } from './reminders.sv';

export const remindersEn: Record<keyof typeof remindersSv, string> = {};
