import type { CheckInput, Problem } from '../check';

export const id = 'kube-config-output';
export const title =
  "no output of either stack carries the cluster's kube config (admin credentials)";
export const needs = 'nothing';
export const prevents = 'cluster-admin credentials land in the outputs file and on the terminal';

/** No output's value mentions `kube_config`, `kube_admin_config` or their `_raw` forms. */
export function run({ pair }: CheckInput): Problem[] {
  const stacks = [
    [pair.terraformFile, pair.terraform],
    [pair.kubernetesTerraformFile, pair.kubernetesTerraform],
  ] as const;
  return stacks.flatMap(([file, tf]) =>
    Object.entries(tf?.output ?? {}).flatMap(([name, output]) =>
      /\bkube_(admin_)?config(_raw)?\b/.test(JSON.stringify(output?.value))
        ? [
            {
              subject: `output.${name} of ${file}`,
              message: "the output carries the cluster's kube config",
              fix: 'let the Kubernetes stack read the kube config through a data source, never through an output',
            },
          ]
        : [],
    ),
  );
}
