import type { NameRule } from './rules';

/** A Terraform identifier (output, variable and resource names): what `<workload>_client_id` must be. */
export const terraformIdentifier: NameRule = {
  test: (v) => /^[A-Za-z_][-\w]*$/.test(v),
  description: 'a Terraform name: letters, digits, "_" and "-", starting with a letter or "_"',
};

/** A workload's name: a DNS-1123 label that starts with a letter, as it also starts its Terraform output names. */
export const workloadName: NameRule = {
  test: (v) => /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v),
  description:
    'a DNS-1123 label that starts with a letter (it also starts Terraform output names): 1-63 lowercase letters, digits and "-", ending with a letter or digit',
};
