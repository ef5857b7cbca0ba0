/**
 * `azurerm_federated_identity_credential`: trust in one issuer/subject/audience for a managed identity.
 *
 * As on Azure: at most 20 per identity, and a write holds its identity for a few (scaled) seconds, so two writes on
 * one identity at once fail with `ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity` unless
 * Terraform runs them one after the other (`depends_on` chains them).
 */
import {
  type CloudStoreData,
  CREDENTIAL_WRITE_SECONDS,
  localMs,
  MAX_FEDERATED_CREDENTIALS,
  sameId,
} from '../../core/cloud-store';
import { type Attributes, AzureError, type ResourceHandler } from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import { cloudStore, required, resolve, sleep, strings } from './common';
import { FEDERATED_IDENTITY_CREDENTIAL_ID, parseId } from './resource-ids';

const TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

export const azurermFederatedIdentityCredential: ResourceHandler = {
  async create({ planned }) {
    const parentId = required(planned, 'parent_id');
    const id = `${parentId}/federatedIdentityCredentials/${required(planned, 'name')}`;
    await write(parentId, (data, identity) => {
      if (data.federatedCredentials.some((c) => sameId(c.id, id)))
        throw alreadyExists(id, 'azurerm_federated_identity_credential');
      const count = data.federatedCredentials.filter(
        (c) => c.parentKind === 'identity' && sameId(c.parentId, identity.id),
      ).length;
      if (count >= MAX_FEDERATED_CREDENTIALS) {
        throw new AzureError(
          'BadRequest',
          `creating Federated Identity Credential (${id}): unexpected status 400 (400 Bad Request) with error: BadRequest: The number of Federated Identity Credentials for the managed identity '${identity.name}' would exceed the limit of ${MAX_FEDERATED_CREDENTIALS}.`,
        );
      }
      data.federatedCredentials.push({
        id,
        ...fields(planned),
        parentKind: 'identity',
        parentId: identity.id,
        clientId: identity.clientId,
      });
    });
    return resolve(planned, { id });
  },
  async read({ state }) {
    const credential = cloudStore()
      .read()
      .federatedCredentials.find((c) => sameId(c.id, String(state.id)));
    if (!credential) return null;
    // federated_identity_credential_resource.go, Read: name, group and parent from the id, then the credential.
    const { resourceGroupName } = parseId(FEDERATED_IDENTITY_CREDENTIAL_ID, credential.id);
    return {
      ...state,
      id: credential.id,
      name: credential.name,
      resource_group_name: resourceGroupName,
      parent_id: credential.parentId,
      issuer: credential.issuer,
      subject: credential.subject,
      audience: [...credential.audiences],
    };
  },
  async importState({ id }) {
    parseId(FEDERATED_IDENTITY_CREDENTIAL_ID, id);
    return { id };
  },
  async update({ planned }) {
    await write(required(planned, 'parent_id'), (data) => {
      const credential = data.federatedCredentials.find((c) => sameId(c.id, String(planned.id)));
      if (credential) Object.assign(credential, fields(planned));
    });
    return planned;
  },
  async delete({ state }) {
    await write(
      String(state.parent_id),
      (data) => {
        data.federatedCredentials = data.federatedCredentials.filter(
          (c) => !sameId(c.id, String(state.id)),
        );
      },
      { parentMayBeGone: true },
    );
  },
};

function fields(planned: Attributes) {
  const issuer = required(planned, 'issuer');
  if (!/^https:\/\/\S+$/.test(issuer)) {
    throw new AzureError(
      'BadRequest',
      `unexpected status 400 (400 Bad Request) with error: BadRequest: Issuer '${issuer}' is not a valid https URL.`,
      ['issuer'],
    );
  }
  return {
    name: required(planned, 'name'),
    issuer,
    subject: required(planned, 'subject'),
    audiences: strings(planned.audience),
  };
}

/**
 * One credential write: it takes the identity for CREDENTIAL_WRITE_SECONDS (scaled), and fails at once when another
 * write holds it, as Azure answers concurrent writes under one identity.
 */
async function write(
  parentId: string,
  change: (data: CloudStoreData, identity: CloudStoreData['identities'][number]) => void,
  options: { parentMayBeGone?: boolean } = {},
): Promise<void> {
  const store = cloudStore();
  const holdMs = localMs(CREDENTIAL_WRITE_SECONDS);
  const taken = store.update((data) => {
    const identity = data.identities.find((i) => sameId(i.id, parentId));
    if (!identity) {
      if (options.parentMayBeGone) return false;
      throw new AzureError(
        'ParentResourceNotFound',
        `Failed to perform 'write' on resource(s) of type '${TYPE}/federatedIdentityCredentials', because the parent resource '${parentId}' could not be found.`,
      );
    }
    const now = Date.now();
    if ((identity.credentialWriteUntil ?? 0) > now) {
      throw new AzureError(
        'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
        `unexpected status 409 (409 Conflict) with error: ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity: Too many Federated Identity Credentials are written concurrently for the managed identity ${identity.id}. Concurrent Federated Identity Credentials writes under the same managed identity are not supported.`,
      );
    }
    identity.credentialWriteUntil = now + holdMs;
    return true;
  });
  if (!taken) return;
  await sleep(holdMs);
  store.update((data) => {
    const identity = data.identities.find((i) => sameId(i.id, parentId));
    if (!identity) return;
    change(data, identity);
    identity.credentialWriteUntil = undefined;
  });
}
