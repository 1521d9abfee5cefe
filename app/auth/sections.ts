import type { StaffRole } from '../../db/schema';
import type { MessageKey } from '../i18n/catalogue';

export interface DashboardSection {
  path: string;
  label: MessageKey;
  roles: readonly StaffRole[];
}

/** The dashboard's sections and who may open each: the navigation and every section loader use this. */
export const dashboardSections = {
  overview: {
    path: '/admin',
    label: 'nav.overview',
    roles: ['manager', 'contact_person', 'id_admin', 'support', 'system_admin'],
  },
  orders: {
    path: '/admin/bestallningar',
    label: 'nav.orders',
    roles: ['manager', 'contact_person', 'id_admin', 'support'],
  },
  todo: {
    path: '/admin/att-gora',
    label: 'nav.todo',
    roles: ['manager', 'contact_person'],
  },
  toRevoke: {
    path: '/admin/att-sparra',
    label: 'nav.toRevoke',
    roles: ['id_admin'],
  },
  reserveCards: {
    path: '/admin/reservkort',
    label: 'nav.reserveCards',
    roles: ['contact_person', 'support'],
  },
  persons: {
    path: '/admin/personer',
    label: 'nav.persons',
    roles: ['manager', 'contact_person', 'id_admin', 'support'],
  },
  audit: {
    path: '/admin/granskning',
    label: 'nav.audit',
    roles: ['id_admin', 'support', 'system_admin'],
  },
  assistedUnlock: {
    path: '/admin/las-upp-kort',
    label: 'nav.assistedUnlock',
    roles: ['id_admin', 'unlock_assistant'],
  },
  support: { path: '/admin/support', label: 'nav.support', roles: ['support', 'system_admin'] },
  computers: { path: '/admin/datorer', label: 'nav.computers', roles: ['support', 'system_admin'] },
  administration: { path: '/admin/administration', label: 'nav.administration', roles: ['system_admin'] },
} as const satisfies Record<string, DashboardSection>;

export type DashboardSectionName = keyof typeof dashboardSections;
