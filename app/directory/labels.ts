import type { DirectoryChangeKind } from '../../db/directory-sync';
import type { DirectoryProblemCode } from '../../db/directory-validation';
import type { DirectorySyncKind, DirectorySyncMode, DirectorySyncState } from '../../protocol/domain-values';
import type { MessageKey } from '../i18n/catalogue';

export const syncStateLabels: Record<DirectorySyncState, MessageKey> = {
  running: 'directory.state.running',
  completed: 'directory.state.completed',
  failed: 'directory.state.failed',
  interrupted: 'directory.state.interrupted',
};

export const syncStateBadges: Record<DirectorySyncState, string> = {
  running: 'badge info',
  completed: 'badge ok',
  failed: 'badge error',
  interrupted: 'badge warn',
};

export const syncKindLabels: Record<DirectorySyncKind, MessageKey> = {
  full: 'directory.kind.full',
  incremental: 'directory.kind.incremental',
};

export const syncModeLabels: Record<DirectorySyncMode, MessageKey> = {
  preview: 'directory.mode.preview',
  apply: 'directory.mode.apply',
};

export const changeLabels: Record<DirectoryChangeKind, MessageKey> = {
  unit_new: 'directory.change.unit_new',
  unit_changed: 'directory.change.unit_changed',
  unit_moved: 'directory.change.unit_moved',
  unit_gone: 'directory.change.unit_gone',
  unit_returned: 'directory.change.unit_returned',
  person_new: 'directory.change.person_new',
  person_changed: 'directory.change.person_changed',
  person_moved: 'directory.change.person_moved',
  person_left: 'directory.change.person_left',
  person_returned: 'directory.change.person_returned',
};

export const problemLabels: Record<DirectoryProblemCode, MessageKey> = {
  invalid_hsa_id: 'directory.problem.invalid_hsa_id',
  invalid_personal_identity_number: 'directory.problem.invalid_personal_identity_number',
  invalid_name: 'directory.problem.invalid_name',
  invalid_mail: 'directory.problem.invalid_mail',
  duplicate_hsa_id: 'directory.problem.duplicate_hsa_id',
  duplicate_personal_identity_number: 'directory.problem.duplicate_personal_identity_number',
  missing_parent_unit: 'directory.problem.missing_parent_unit',
  unknown_unit: 'directory.problem.unknown_unit',
};

const faultLabels: Record<string, MessageKey> = {
  unreachable: 'directory.fault.unreachable',
  timeout: 'directory.fault.timeout',
  invalid_credentials: 'directory.fault.invalid_credentials',
  search_failed: 'directory.fault.search_failed',
  interrupted: 'directory.fault.interrupted',
  process_ended: 'directory.fault.process_ended',
};

export function faultLabel(code: string | null): MessageKey {
  return (code && faultLabels[code]) || 'directory.fault.unknown';
}
