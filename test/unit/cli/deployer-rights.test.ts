import { describe, expect, it } from 'vitest';
import { allows, ROLE_ASSIGNMENTS_WRITE } from '../../../cli/deployer-rights';

describe('allows', () => {
  it.each([
    ['Owner', [{ actions: ['*'] }], true],
    ['User Access Administrator', [{ actions: ['*/read', 'Microsoft.Authorization/*'] }], true],
    [
      'Role Based Access Control Administrator',
      [{ actions: ['Microsoft.Authorization/roleAssignments/write', '*/read'] }],
      true,
    ],
    ['Contributor', [{ actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] }], false],
    ['Reader', [{ actions: ['*/read'] }], false],
    [
      'Contributor and User Access Administrator',
      [
        { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] },
        { actions: ['Microsoft.Authorization/*'] },
      ],
      true,
    ],
    [
      'a lookalike action',
      [{ actions: ['Microsoft.Authorization/roleAssignments/writeX'] }],
      false,
    ],
  ])('%s: %s', (_role, permissions, expected) => {
    expect(allows(permissions, ROLE_ASSIGNMENTS_WRITE)).toBe(expected);
  });
});
