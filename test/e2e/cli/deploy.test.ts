import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  DEPLOYED,
  runCli,
  SECRET_VARIABLES,
  SUBSCRIPTION,
  standIns,
} from '../../support/cli-helpers';
import { defaultConfigData, tempDir } from '../../support/helpers';

/** The deployer-rights check on the vault's resource group, as the stand-in az records it. */
const PERMISSIONS = `az rest --method get --url https://management.azure.com/subscriptions/${SUBSCRIPTION}/resourceGroups/workload-id-rg/providers/Microsoft.Authorization/permissions?api-version=2022-04-01 --output json`;
/** The check of the right to read soft-deleted vaults, on the vault's subscription. */
const SUBSCRIPTION_PERMISSIONS = `az rest --method get --url https://management.azure.com/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01 --output json`;

describe('deploy', () => {
  it('prints every step and command with --dry-run, and runs nothing', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--dry-run'], { cwd });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.stdout).toContain('deploy: 6 steps (dry run: nothing is run)');
    expect(run.stdout).toContain(
      'preflight: missing now: TF_VAR_secret_username, TF_VAR_secret_password',
    );
    const commands = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('$ ') || /^\[\d\/\d\]/.test(line));
    expect(commands).toEqual([
      '$ az account show --output json',
      '[1/6] check: synthesize and run every check that needs no outputs, before anything changes (the deployed values are not known yet)',
      '[2/6] cdktf deploy',
      `$ ARM_SUBSCRIPTION_ID='<subscription of az account show>' cdktf deploy workload-identity --auto-approve --outputs-file ${join(cwd, 'outputs.json')}`,
      `[3/6] synth: write the manifests bound to the deployed values in ${join(cwd, 'outputs.json')}`,
      '[4/6] verify: check the pair for apply: no placeholder left, client ids equal to the outputs',
      '[5/6] az aks get-credentials',
      "$ az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --context workload-id-aks --overwrite-existing --subscription '<subscription of az account show>'",
      '[6/6] kubectl apply: kubectl --context workload-id-aks apply -f dist/, leaving out namespaces that exist and were not made by deploy, after deleting the Pods whose spec or identity changed (pods are immutable)',
    ]);
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });

  it('deploys the Azure side, binds and verifies the manifests, then applies them', () => {
    // GIVEN the secrets set, the stand-ins on PATH and a config of one's own
    const cwd = tempDir();
    writeFileSync(join(cwd, 'my.yaml'), JSON.stringify(defaultConfigData()));
    // WHEN
    const run = runCli(['deploy', '--yes', '--config', 'my.yaml'], { cwd, env: SECRET_VARIABLES });
    // THEN every program ran in order, each printed before it ran
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const env = `(ARM_SUBSCRIPTION_ID=${SUBSCRIPTION}) (WI_CONFIG=${join(cwd, 'my.yaml')})`;
    expect(run.calls).toEqual([
      'az account show --output json',
      PERMISSIONS,
      SUBSCRIPTION_PERMISSIONS,
      `cdktf deploy workload-identity --auto-approve --outputs-file ${join(cwd, 'outputs.json')} ${env}`,
      `az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --context workload-id-aks --overwrite-existing --subscription ${SUBSCRIPTION}`,
      'kubectl --context workload-id-aks get namespaces workload-id-test --ignore-not-found --output json',
      'kubectl --context workload-id-aks apply -f dist/',
    ]);
    expect(run.stdout).toContain(
      'Azure subscription: Stand-in subscription (00000000-0000-0000-0000-000000000001), from az account show: cdktf and every az call use it',
    );
    expect(run.stdout).toContain(
      `$ ARM_SUBSCRIPTION_ID=${SUBSCRIPTION} WI_CONFIG=${join(cwd, 'my.yaml')} cdktf deploy workload-identity --auto-approve`,
    );
    expect(run.stdout).toMatch(/\[4\/6\] verify: done in \d+s/);
    // Before cdktf deploy: every check but those that need the outputs or --for-apply; secret-value runs too
    expect(run.stdout).toContain('verify: all 17 checks passed');
    expect(run.stdout).toContain('verify: all 20 checks passed');
    expect(run.stdout).toMatch(/\[6\/6\] kubectl apply: done in \d+s/);
    // AND the applied manifests carry the deployed values, not placeholders, and no secret value
    const manifests = readFileSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'), 'utf8');
    expect(manifests).toContain(
      `azure.workload.identity/client-id: ${DEPLOYED['workload-identity'].demo_client_id}`,
    );
    expect(manifests).not.toContain('placeholder');
    for (const value of Object.values(SECRET_VARIABLES))
      expect(run.stdout + manifests).not.toContain(value);
  });

  it('fails when a step fails: stops there, says which, and leaves the earlier steps in place', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'kubectl' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('kubectl: simulated failure');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'deploy: step 6/6 "kubectl apply" failed ("kubectl get namespaces" failed (exit 1): can the credentials of context workload-id-aks read the cluster?); steps 1-5 are done and left in place',
    );
    expect(run.calls.at(-1)).toBe(
      'kubectl --context workload-id-aks get namespaces workload-id-test --ignore-not-found --output json',
    );
    expect(existsSync(join(cwd, 'outputs.json'))).toBe(true);
    expect(existsSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'))).toBe(true);
  });

  it('fails at the synth step when cdktf wrote no outputs, before anything reaches the cluster', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_NO_OUTPUTS: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^deploy: step 3\/6 "synth" failed \(.*outputs\.json was not written by cdktf deploy\); steps 1-2 are done and left in place$/m,
    );
    expect(run.calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'az account',
      'az rest',
      'az rest',
      'cdktf deploy',
    ]);
  });

  it('fails when the outputs file names another cluster than the config, naming both, before kubectl runs', () => {
    // GIVEN an outputs file of another deploy, left in place because this cdktf deploy wrote none
    const cwd = tempDir();
    const theirs = structuredClone(DEPLOYED);
    Object.assign(theirs['workload-identity'], {
      cluster_name: 'someone-elses-aks',
      resource_group_name: 'their-rg',
    });
    writeFileSync(join(cwd, 'outputs.json'), JSON.stringify(theirs));
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_NO_OUTPUTS: '1' },
    });
    // THEN deploy stops before fetching that cluster's credentials
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `deploy: step 5/6 "az aks get-credentials" failed (outputs file ${join(cwd, 'outputs.json')} names cluster someone-elses-aks in resource group their-rg of subscription ${SUBSCRIPTION}, but the config names cluster workload-id-aks in resource group workload-id-rg of subscription ${SUBSCRIPTION}: refusing to act on another cluster; pass the outputs file of this config (--outputs), or the config of that deploy (--config)); steps 1-4 are done and left in place`,
    );
    expect(run.calls.some((c) => c.startsWith('kubectl ') || c.includes('get-credentials'))).toBe(
      false,
    );
  });

  it('fails when cdktf deploy fails, running nothing after it', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'cdktf' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'deploy: step 2/6 "cdktf deploy" failed (exit 1); step 1 is done and left in place',
    );
    expect(run.calls).toHaveLength(4);
  });

  it('fails when a secret value is a value of a synthesized file, before cdktf deploy changes anything', () => {
    // GIVEN a secret whose value is the namespace's name, which the manifests hold as a whole value
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, TF_VAR_secret_username: 'workload-id-test' },
    });
    // THEN the first step stops the deploy: cdktf never ran
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('error  secret-value  ');
    expect(run.stderr.trim()).toBe(
      'deploy: step 1/6 "check" failed (2 verify errors; nothing was changed); no step before it was done',
    );
    expect(run.calls).toEqual([
      'az account show --output json',
      PERMISSIONS,
      SUBSCRIPTION_PERMISSIONS,
    ]);
  });

  it('deploys when an ordinary secret value such as "test" is only a fragment of the files', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, TF_VAR_secret_username: 'test', TF_VAR_secret_password: 'user' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('fails when a secret variable is not set, naming it, before running anything', () => {
    const run = runCli(['deploy', '--yes'], { env: { TF_VAR_secret_username: 'admin-7f3c91' } });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: TF_VAR_secret_password is not set: export each with the value of its Key Vault secret (written with value_wo: never stored in a file or in state)',
    );
    expect(run.calls).toEqual([]);
  });

  it('fails when kubectl is not installed, in one line saying what to install', () => {
    const run = runCli(['deploy', '--yes'], {
      bin: standIns(['cdktf', 'terraform', 'az']),
      env: SECRET_VARIABLES,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: kubectl is not on PATH: install kubectl ("az aks install-cli", or https://kubernetes.io/docs/tasks/tools/)',
    );
    expect(run.calls).toEqual([]);
  });

  it('fails when az is not logged in, in one line saying what to run', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_LOGGED_OUT: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: not logged in to Azure ("az account show" failed): run "az login", then "az account set --subscription <id>"',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('fails without --yes when stdin is not a terminal', () => {
    const run = runCli(['deploy'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: refusing to deploy without confirmation: stdin is not a terminal; pass --yes to confirm',
    );
    expect(run.calls).toEqual([
      'az account show --output json',
      PERMISSIONS,
      SUBSCRIPTION_PERMISSIONS,
    ]);
  });

  it('deploys both stacks with one cdktf deploy workload-identity workload-identity-k8s with --single, after verifying the Kubernetes stack', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--single', '--yes'], { cwd, env: SECRET_VARIABLES });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      PERMISSIONS,
      SUBSCRIPTION_PERMISSIONS,
      `cdktf deploy workload-identity workload-identity-k8s --auto-approve --outputs-file ${join(cwd, 'outputs.json')} (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
    expect(run.stdout).toContain('deploy: 3 steps, both stacks with one cdktf deploy');
    expect(run.stdout).toContain('cdktf.out/stacks/workload-identity-k8s/cdk.tf.json');
    expect(run.stdout).toMatch(/verify: all \d+ checks passed/);
  });
});

describe('deploy to the cluster', () => {
  const context = '--context workload-id-aks';
  const deployed = DEPLOYED['workload-identity'];

  /** The Pod deploy applies, read back from dist/ after a first deploy. */
  function appliedPod(cwd: string): any {
    const text = readFileSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'), 'utf8');
    return parseAllDocuments(text)
      .map((d) => d.toJS())
      .find((o) => o.kind === 'Pod');
  }

  /** The Pod as the API server returns it: what was applied, the webhook's variables, the defaults. */
  function running(pod: any, changes: { image?: string; clientId?: string } = {}): any {
    const applied = structuredClone(pod);
    if (changes.image) applied.spec.containers[0].image = changes.image;
    const live = structuredClone(applied);
    live.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied),
    };
    live.spec.containers[0].env.push(
      { name: 'AZURE_CLIENT_ID', value: changes.clientId ?? deployed.demo_client_id },
      { name: 'AZURE_TENANT_ID', value: deployed.demo_tenant_id },
      { name: 'AZURE_FEDERATED_TOKEN_FILE', value: '/var/run/secrets/azure/wi/token/x' },
    );
    live.spec.nodeName = 'aks-system-0';
    return live;
  }

  const ours = JSON.stringify({
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name: 'workload-id-test',
      labels: { 'app.kubernetes.io/managed-by': 'workload-id' },
    },
  });

  it('names the subscription of ARM_SUBSCRIPTION_ID in every az call, whatever az is on', () => {
    const other = '00000000-0000-0000-0000-0000000000bb';
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, ARM_SUBSCRIPTION_ID: other },
    });
    expect(run.status).toBe(0);
    const az = run.calls.filter((call) => call.startsWith('az '));
    expect(az).toHaveLength(4);
    expect(az[0]).toMatch(new RegExp(`^az account show --subscription ${other} `));
    // az rest has no --subscription: the subscription is in the URL it calls
    expect(az[1]).toContain(`https://management.azure.com/subscriptions/${other}/resourceGroups/`);
    expect(az[2]).toContain(`https://management.azure.com/subscriptions/${other}/providers/`);
    for (const call of [az[0], az[3]]) expect(call).toContain(`--subscription ${other}`);
    for (const call of run.calls.filter((c) => c.startsWith('kubectl ')))
      expect(call).toMatch(/^kubectl --context workload-id-aks /);
  });

  it('leaves out a namespace that exists and was not made by deploy, so it is never adopted', () => {
    // GIVEN the namespace exists, made by someone else (no managed-by label)
    const cwd = tempDir();
    const theirs = JSON.stringify({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'workload-id-test', labels: { team: 'platform' } },
    });
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_KUBECTL_NAMESPACES: theirs },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // THEN the objects applied are the manifests without that Namespace
    expect(run.stdout).toContain(
      'kubectl apply: namespace workload-id-test exists and was not made by deploy: used as it is, not applied (destroy leaves it)',
    );
    const apply = run.calls.at(-1) as string;
    expect(apply).toMatch(/^kubectl --context workload-id-aks apply -f \S+\/objects\.yaml$/);
    const applied = readFileSync(join(run.bin, '..', 'applied.yaml'), 'utf8');
    expect(
      parseAllDocuments(applied)
        .map((d) => d.toJS().kind)
        .sort(),
    ).toEqual(['Pod', 'ServiceAccount']);
  });

  it('leaves a running Pod alone when nothing of it changed', () => {
    const cwd = tempDir();
    expect(runCli(['deploy', '--yes'], { cwd, env: SECRET_VARIABLES }).status).toBe(0);
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: {
        ...SECRET_VARIABLES,
        STANDIN_KUBECTL_NAMESPACES: ours,
        STANDIN_KUBECTL_PODS: JSON.stringify(running(appliedPod(cwd))),
      },
    });
    expect(run.status).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('kubectl '))).toEqual([
      `kubectl ${context} get namespaces workload-id-test --ignore-not-found --output json`,
      `kubectl ${context} get pods --namespace workload-id-test demo-pod --ignore-not-found --output json`,
      `kubectl ${context} apply -f dist/`,
    ]);
  });

  it.each([
    [
      'image',
      { image: 'ghcr.io/azure/azure-workload-identity/msal-go:latest' },
      'spec.containers[0].image',
    ],
    [
      'identity',
      { clientId: '99999999-2222-3333-4444-555555555555' },
      'AZURE_CLIENT_ID "99999999-2222-3333-4444-555555555555" was injected at creation',
    ],
  ])(
    'deletes a running Pod whose %s changed before applying, since pods are immutable',
    (_what, changes, reason) => {
      const cwd = tempDir();
      expect(runCli(['deploy', '--yes'], { cwd, env: SECRET_VARIABLES }).status).toBe(0);
      const run = runCli(['deploy', '--yes'], {
        cwd,
        env: {
          ...SECRET_VARIABLES,
          STANDIN_KUBECTL_NAMESPACES: ours,
          STANDIN_KUBECTL_PODS: JSON.stringify(running(appliedPod(cwd), changes)),
        },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.calls.filter((c) => c.startsWith('kubectl ')).slice(-2)).toEqual([
        `kubectl ${context} delete pod --namespace workload-id-test demo-pod --wait=true`,
        `kubectl ${context} apply -f dist/`,
      ]);
      expect(run.stdout).toContain(
        'kubectl apply: pod workload-id-test/demo-pod is created again (pods are immutable): ',
      );
      expect(run.stdout).toContain(reason);
    },
  );

  it('fails when a changed Pod of the same name was not made by deploy, deleting nothing', () => {
    const cwd = tempDir();
    expect(runCli(['deploy', '--yes'], { cwd, env: SECRET_VARIABLES }).status).toBe(0);
    const theirs = running(appliedPod(cwd), { image: 'someone/else:1' });
    delete theirs.metadata.labels['app.kubernetes.io/managed-by'];
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: {
        ...SECRET_VARIABLES,
        STANDIN_KUBECTL_NAMESPACES: ours,
        STANDIN_KUBECTL_PODS: JSON.stringify(theirs),
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "pod workload-id-test/demo-pod exists and was not made by deploy (no app.kubernetes.io/managed-by=workload-id label): rename the workload's pod, or delete that pod yourself",
    );
    expect(run.calls.some((c) => c.includes(' delete ') || c.includes(' apply '))).toBe(false);
  });
});

describe('deployer rights', () => {
  /** Contributor's permissions as the permissions API returns them. */
  const CONTRIBUTOR = JSON.stringify({
    value: [
      {
        actions: ['*'],
        notActions: [
          'Microsoft.Authorization/*/Delete',
          'Microsoft.Authorization/*/Write',
          'Microsoft.Authorization/elevateAccess/Action',
        ],
      },
    ],
  });

  it('fails when the deployer is a Contributor, naming the missing action and the roles that hold it, before anything changes', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_PERMISSIONS: CONTRIBUTOR },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `deploy: you cannot create role assignments on /subscriptions/${SUBSCRIPTION}/resourceGroups/workload-id-rg (Key Vault Secrets Officer for you and Key Vault Secrets User for each workload identity on the vault): Microsoft.Authorization/roleAssignments/write is not among your permissions there (Contributor excludes it); ask for Owner, User Access Administrator or Role Based Access Control Administrator on /subscriptions/${SUBSCRIPTION}/resourceGroups/workload-id-rg or its subscription`,
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });

  it('checks the subscription when the resource group does not exist yet, and accepts User Access Administrator', () => {
    const uaa = JSON.stringify({
      value: [
        { actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], notActions: [] },
      ],
    });
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_PERMISSIONS: uaa, STANDIN_AZ_NO_GROUP: '1' },
    });
    expect(run.status).toBe(0);
    expect(run.calls[2]).toBe(
      `az rest --method get --url https://management.azure.com/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01 --output json`,
    );
    expect(run.stdout).toContain(
      `deploy: you may create role assignments on /subscriptions/${SUBSCRIPTION} (Microsoft.Authorization/roleAssignments/write)`,
    );
  });

  it('names the Entra roles an application identity needs, in the vault tenant too', () => {
    const cwd = tempDir();
    const data = defaultConfigData();
    data.workloads[0].identity = 'application';
    Object.assign(data.keyVault, {
      tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
      subscriptionId: 'cccccccc-0000-4000-a000-000000000003',
      resourceGroup: 'partner-rg',
    });
    writeFileSync(join(cwd, 'x.yaml'), JSON.stringify(data));
    const run = runCli(['deploy', '--yes', '--config', 'x.yaml'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_NO_TENANT: 'bbbbbbbb-0000-4000-a000-000000000002' },
    });
    expect(run.status).toBe(0);
    const roles =
      'Application Administrator, Cloud Application Administrator or Global Administrator (or, for a service principal, the Microsoft Graph application permission Application.ReadWrite.All)';
    expect(run.stdout).toContain(
      `deploy: identity: application registers Entra applications with you as their owner (your tenant must let you register applications, else you need ${roles}); an owner adds the service principal and the federated credentials; in the vault's tenant bbbbbbbb-0000-4000-a000-000000000002 you own nothing, and creating the multi-tenant application's service principal there needs ${roles} in that tenant`,
    );
    // az is not logged in to the vault's tenant: the scope there is named, and said not to be checked
    expect(run.stdout).toContain(
      'deploy: in tenant bbbbbbbb-0000-4000-a000-000000000002 you need Microsoft.Authorization/roleAssignments/write on /subscriptions/cccccccc-0000-4000-a000-000000000003/resourceGroups/partner-rg (Owner, User Access Administrator or Role Based Access Control Administrator): not checked, az is not logged in to that tenant ("az account get-access-token --tenant bbbbbbbb-0000-4000-a000-000000000002" failed); run "az login --tenant bbbbbbbb-0000-4000-a000-000000000002" (az keeps both logins) and deploy again to have it checked',
    );
    expect(run.calls.filter((c) => c.includes('cccccccc-0000-4000-a000-000000000003'))).toEqual([]);
  });

  /** The default config with its vault in another tenant. */
  function crossTenant(): string {
    const cwd = tempDir();
    const data = defaultConfigData();
    Object.assign(data.keyVault, {
      tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
      subscriptionId: 'cccccccc-0000-4000-a000-000000000003',
      resourceGroup: 'partner-rg',
    });
    writeFileSync(join(cwd, 'x.yaml'), JSON.stringify(data));
    return cwd;
  }

  it("fails when the deployer cannot assign roles in the vault's other tenant, checked because az is logged in there too", () => {
    const cwd = crossTenant();
    const run = runCli(['deploy', '--yes', '--config', 'x.yaml'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_CONTRIBUTOR_ON: 'partner-rg' },
    });
    expect(run.status).toBe(1);
    expect(run.calls).toContain(
      'az account get-access-token --tenant bbbbbbbb-0000-4000-a000-000000000002 --query expiresOn --output tsv',
    );
    expect(run.stderr.trim()).toBe(
      'deploy: you cannot create role assignments on /subscriptions/cccccccc-0000-4000-a000-000000000003/resourceGroups/partner-rg (Key Vault Secrets Officer for you and Key Vault Secrets User for each workload identity on the vault): Microsoft.Authorization/roleAssignments/write is not among your permissions there (Contributor excludes it); ask for Owner, User Access Administrator or Role Based Access Control Administrator on /subscriptions/cccccccc-0000-4000-a000-000000000003/resourceGroups/partner-rg or its subscription',
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });

  it("fails when the deployer cannot assign AcrPull in the registry's group, naming it, before anything changes", () => {
    const cwd = tempDir();
    const data = defaultConfigData();
    data.registry = { resourceGroup: 'acr-rg' };
    writeFileSync(join(cwd, 'r.yaml'), JSON.stringify(data));
    const run = runCli(['deploy', '--yes', '--config', 'r.yaml'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_CONTRIBUTOR_ON: 'acr-rg' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `deploy: you cannot create role assignments on /subscriptions/${SUBSCRIPTION}/resourceGroups/acr-rg (AcrPull for the cluster's kubelet identity on the registry): Microsoft.Authorization/roleAssignments/write is not among your permissions there (Contributor excludes it); ask for Owner, User Access Administrator or Role Based Access Control Administrator on /subscriptions/${SUBSCRIPTION}/resourceGroups/acr-rg or its subscription`,
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });

  it('says what a re-deploy within the retention days does when the deployer cannot read deleted vaults on the subscription', () => {
    // GIVEN rights on the resource group only, none on the subscription
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_SUBSCRIPTION_PERMISSIONS: '{"value":[]}' },
    });
    // THEN the deploy goes on, and says what azurerm will do
    expect(run.status).toBe(0);
    expect(run.calls.slice(0, 3)).toEqual([
      'az account show --output json',
      PERMISSIONS,
      SUBSCRIPTION_PERMISSIONS,
    ]);
    expect(run.stdout).toContain(
      `deploy: you lack Microsoft.KeyVault/locations/deletedVaults/read on /subscriptions/${SUBSCRIPTION} (Reader, Contributor or Key Vault Contributor there hold it): azurerm then cannot see a soft-deleted vault (it takes the 403 for "not found": key_vault_resource.go at v4.55.0), so a deploy within 7 days (keyVault.softDeleteRetentionDays) of a destroy does not recover the vault and its secrets: it fails with 409 VaultAlreadyExists; purge it first (az keyvault purge --name <vault name> --location westeurope --subscription ${SUBSCRIPTION}, needs Microsoft.KeyVault/locations/deletedVaults/purge/action), or wait the 7 days`,
    );
  });
});

describe('deploy with an existing cluster', () => {
  /** A config whose cluster exists in another group. */
  function existingCluster(): { cwd: string; config: string } {
    const cwd = tempDir();
    const data = defaultConfigData();
    Object.assign(data.cluster, { existing: true, resourceGroup: 'platform-rg' });
    writeFileSync(join(cwd, 'existing.yaml'), JSON.stringify(data));
    return { cwd, config: 'existing.yaml' };
  }
  const entraOnly = JSON.stringify({ entraId: true, localAccountsDisabled: true });
  /** What cdktf deploy writes for that config: the cluster's group is platform-rg. */
  const STANDIN_OUTPUTS = JSON.stringify({
    'workload-identity': { ...DEPLOYED['workload-identity'], resource_group_name: 'platform-rg' },
  });

  it('fails when the cluster has local accounts disabled and kubelogin is missing, saying why, before anything changes', () => {
    const { cwd, config } = existingCluster();
    const run = runCli(['deploy', '--single', '--yes', '--config', config], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_AKS: entraOnly },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: --single cannot sign in: cluster workload-id-aks uses Entra ID for Kubernetes sign-in with local accounts disabled: its kube config holds no client certificate, so Terraform\'s kubernetes provider signs in through kubelogin (exec, with az\'s login), which is not on PATH: install it ("az aks install-cli"), or deploy without --single',
    );
    expect(run.calls).toContain(
      `az aks show --resource-group platform-rg --name workload-id-aks --query '{entraId: aadProfile != null, localAccountsDisabled: disableLocalAccounts}' --output json --subscription ${SUBSCRIPTION}`.replaceAll(
        "'",
        '',
      ),
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });

  it('deploys through kubelogin when it is on PATH', () => {
    const { cwd, config } = existingCluster();
    const bin = standIns(['cdktf', 'terraform', 'az', 'kubectl', 'kubelogin']);
    const run = runCli(['deploy', '--single', '--yes', '--config', config], {
      cwd,
      bin,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_AKS: entraOnly },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("signs in through kubelogin (exec, with az's login)");
    expect(run.calls.at(-1)).toMatch(/^cdktf deploy workload-identity workload-identity-k8s /);
  });

  it('fails when the cluster uses Entra ID sign-in and kubelogin is missing, without --single too (kubectl needs it), before anything changes', () => {
    const { cwd, config } = existingCluster();
    const run = runCli(['deploy', '--yes', '--config', config], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_AKS: JSON.stringify({ entraId: true }) },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: kubectl cannot sign in: cluster workload-id-aks uses Entra ID for Kubernetes sign-in: its kube config holds no client certificate, so kubectl signs in through kubelogin (exec, with az\'s login), which is not on PATH: install it ("az aks install-cli")',
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });

  it("converts deploy's kubeconfig to az's login with kubelogin after az aks get-credentials, on an Entra ID cluster", () => {
    // GIVEN kubelogin on PATH and a KUBECONFIG of two files: az writes the first one, so kubelogin converts that one
    const { cwd, config } = existingCluster();
    const kubeconfig = join(cwd, 'kube', 'config');
    const run = runCli(['deploy', '--yes', '--config', config], {
      cwd,
      bin: standIns(['cdktf', 'terraform', 'az', 'kubectl', 'kubelogin']),
      env: {
        ...SECRET_VARIABLES,
        STANDIN_AZ_AKS: entraOnly,
        STANDIN_OUTPUTS,
        KUBECONFIG: `${kubeconfig}:${join(cwd, 'other')}`,
      },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // THEN the context az wrote, and only that one, signs in with az's login before kubectl runs
    const after = run.calls.slice(run.calls.findIndex((c) => c.includes('get-credentials')));
    expect(after[0]).toMatch(
      /^az aks get-credentials --resource-group platform-rg --name workload-id-aks /,
    );
    expect(after[1]).toBe(
      `kubelogin convert-kubeconfig -l azurecli --kubeconfig ${kubeconfig} --context workload-id-aks`,
    );
    expect(after[2]).toMatch(/^kubectl --context workload-id-aks /);
    expect(run.stdout).toContain(
      "deploy: cluster workload-id-aks uses Entra ID for Kubernetes sign-in with local accounts disabled: its kube config holds no client certificate, so kubectl signs in through kubelogin (exec, with az's login)",
    );
  });

  it('skips the kubelogin step when the existing cluster has local accounts', () => {
    const { cwd, config } = existingCluster();
    const run = runCli(['deploy', '--yes', '--config', config], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_OUTPUTS },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      '[6/7] kubelogin convert-kubeconfig: skipped: cluster workload-id-aks has local accounts: its kube config signs in with a client certificate',
    );
    expect(run.calls.some((c) => c.startsWith('kubelogin '))).toBe(false);
  });

  it('deploys with the client certificate when the cluster has local accounts', () => {
    const { cwd, config } = existingCluster();
    const run = runCli(['deploy', '--single', '--yes', '--config', config], {
      cwd,
      env: SECRET_VARIABLES,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      "deploy: cluster workload-id-aks has local accounts: Terraform's kubernetes provider signs in with its kube config's client certificate",
    );
  });
});

describe('deploy with build: app', () => {
  /** The default config with a registry, and the demo running the project's program built into it. */
  function buildConfig(): { cwd: string; config: string } {
    const cwd = tempDir();
    const data = defaultConfigData();
    data.registry = {};
    delete data.workloads[0].sample;
    data.workloads[0].build = 'app';
    writeFileSync(join(cwd, 'build.yaml'), JSON.stringify(data));
    return { cwd, config: 'build.yaml' };
  }

  it('builds app/ with az acr build in the deployed registry, and pins the pushed digest in the manifests', () => {
    const { cwd, config } = buildConfig();
    const run = runCli(['deploy', '--yes', '--config', config], { cwd, env: SECRET_VARIABLES });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const az = run.calls.filter((c) => c.startsWith('az acr '));
    expect(az).toHaveLength(2);
    expect(az[0]).toMatch(
      new RegExp(
        `^az acr build --registry wiacrdemo0001 --image workload-id-app:0\\.\\d+\\.\\d+-[0-9a-f]{12} --platform linux/amd64 --file \\S+/app/Dockerfile \\S+/app --subscription ${SUBSCRIPTION}`,
      ),
    );
    const tag = /--image (\S+)/.exec(az[0])?.[1];
    expect(az[1]).toBe(
      `az acr repository show --name wiacrdemo0001 --image ${tag} --query digest --output tsv --subscription ${SUBSCRIPTION} (WI_CONFIG=${join(cwd, config)})`.replace(
        ` (WI_CONFIG=${join(cwd, config)})`,
        '',
      ),
    );
    // the build runs after the Azure stack (the registry exists) and before the manifests are written
    const order = run.calls.map((c) => c.split(' ').slice(0, 2).join(' '));
    expect(order.indexOf('az acr')).toBeGreaterThan(order.indexOf('cdktf deploy'));
    const manifests = readFileSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'), 'utf8');
    expect(manifests).toContain(
      'image: wiacrdemo0001.azurecr.io/workload-id-app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(manifests).not.toContain('placeholder');
  });

  it('builds for arm64 when the nodes are ARM (a "p" VM size), as an amd64 image would not start there', () => {
    // GIVEN a cluster whose node pool is an ARM size
    const { cwd, config } = buildConfig();
    const data = JSON.parse(readFileSync(join(cwd, config), 'utf8'));
    data.cluster.vmSize = 'Standard_D2ps_v5';
    writeFileSync(join(cwd, config), JSON.stringify(data));
    // WHEN deploy builds the program
    const run = runCli(['deploy', '--yes', '--config', config], { cwd, env: SECRET_VARIABLES });
    // THEN az acr build is told the nodes' platform
    expect(run.status, run.stderr).toBe(0);
    const build = run.calls.find((c) => c.startsWith('az acr build '));
    expect(build).toContain(' --platform linux/arm64 ');
  });

  it('says in preflight that ACR Tasks are paused for subscriptions on free credits, and names the ways out', () => {
    const { cwd, config } = buildConfig();
    const run = runCli(['deploy', '--dry-run', '--config', config], { cwd, env: SECRET_VARIABLES });
    expect(run.stdout).toContain(
      'preflight: build: app runs "az acr build" on ACR Tasks, which Azure pauses for subscriptions on free credits (https://learn.microsoft.com/azure/container-registry/container-registry-tasks-overview). On such a subscription: upgrade it to pay-as-you-go, or build and push the image yourself',
    );
    // Without a build, nothing is said about ACR Tasks.
    const plain = runCli(['deploy', '--dry-run'], { cwd: tempDir(), env: SECRET_VARIABLES });
    expect(plain.stdout).not.toContain('ACR Tasks');
  });

  it('fails when the registry reports no digest, before anything reaches the cluster', () => {
    const { cwd, config } = buildConfig();
    const run = runCli(['deploy', '--yes', '--config', config], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_AZ_DIGEST: 'none' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^deploy: step 3\/7 "az acr build" failed \("az acr repository show" gave no digest for workload-id-app:\S+ \(exit 0\)\); steps 1-2 are done and left in place$/,
    );
    expect(run.calls.some((c) => c.startsWith('kubectl '))).toBe(false);
  });

  it('fails with --single, saying why', () => {
    const { cwd, config } = buildConfig();
    const run = runCli(['deploy', '--single', '--yes', '--config', config], {
      cwd,
      env: SECRET_VARIABLES,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: --single cannot build the program (build: app): the image must be built after the registry exists and before the manifests are applied, which one "cdktf deploy workload-identity workload-identity-k8s" cannot do; deploy without --single',
    );
    expect(run.calls.some((c) => c.startsWith('cdktf '))).toBe(false);
  });
});
