import { z } from 'zod';
import type { MessageKey } from '~/i18n/catalogue';
import { type StaffRole, staffRoles } from '../../protocol/domain-values';
import { hsaIdSchema } from '../../protocol/identifiers';
import { safeNameSchema } from '../../protocol/safe-text';

const requiredText = (message: MessageKey) => z.string({ error: message }).trim().min(1, message);

/** Role names in the catalogue (role.*), in the order the role select shows them. */
export const roleLabels: Record<StaffRole, MessageKey> = {
  manager: 'role.manager',
  contact_person: 'role.contact_person',
  id_admin: 'role.id_admin',
  support: 'role.support',
  system_admin: 'role.system_admin',
  protected_identity_viewer: 'role.protected_identity_viewer',
  unlock_assistant: 'role.unlock_assistant',
};

/** Unit names show in lists, e-mails and exports: no control or bidirectional characters, no formula. */
const unitName = requiredText('administration.error.name')
  .pipe(z.string().max(200, 'administration.error.name'))
  .pipe(safeNameSchema);

const unitScoped: readonly string[] = ['manager', 'contact_person'];

export const createUnitSchema = z.object({
  intent: z.literal('create_unit'),
  hsaId: z
    .string({ error: 'administration.error.hsaId' })
    .refine((value) => hsaIdSchema.safeParse(value).success, 'administration.error.hsaId')
    .transform((value) => hsaIdSchema.parse(value)),
  name: unitName,
  parentId: requiredText('administration.error.parent'),
});

/** The intents of a role grant: a signed role goes grant_role (review) -> sign -> confirm, others grant at once. */
export const grantIntents = ['grant_role', 'sign', 'confirm'] as const;

/**
 * The unit is `roleUnitId` (not `unitId`): the page has two forms, and each shows only its own fields' errors.
 * A role granted by a signed decision also posts `sign` with the signing `method`, then `confirm` with the
 * signing order's id (`orderId`), the grant's own fields posted again with each step.
 */
export const grantRoleSchema = z
  .object({
    intent: z.enum(grantIntents, { error: 'form.error.invalid' }),
    userId: requiredText('administration.error.user'),
    role: z.enum(staffRoles, { error: 'administration.error.role' }),
    roleUnitId: z
      .string()
      .trim()
      .optional()
      .transform((value) => value || null),
    method: z.enum(['card', 'mobile_siths'], { error: 'form.error.invalid' }).optional(),
    orderId: z.uuid({ error: 'form.error.invalid' }).optional(),
  })
  .superRefine((grant, context) => {
    const needsUnit = unitScoped.includes(grant.role);
    if (needsUnit && !grant.roleUnitId) {
      context.addIssue({
        code: 'custom',
        path: ['roleUnitId'],
        message: 'administration.error.unitRequired',
      });
    }
    if (!needsUnit && grant.roleUnitId) {
      context.addIssue({
        code: 'custom',
        path: ['roleUnitId'],
        message: 'administration.error.unitNotAllowed',
      });
    }
  });

export const revokeRoleSchema = z.object({
  assignmentId: requiredText('administration.error.unknownAssignment'),
});

export const renameUnitSchema = z.object({
  name: unitName,
});
