/**
 * The azuread resources the project uses: `azuread_application`, `azuread_service_principal`,
 * `azuread_application_federated_identity_credential` and `data.azuread_client_config`.
 *
 * As azuread 3 does: without `owners`, the caller is added as owner and then removed, so afterwards only an
 * application administrator can add the service principal or a federated credential (`Authorization_RequestDenied`).
 */
import {
  type CloudStoreData,
  MAX_FEDERATED_CREDENTIALS,
  newGuid,
  type StoredApplication,
} from '../../core/cloud-store';
import { AzureError, type DataSourceHandler, type ResourceHandler } from '../handler';
import { asSet, cloudStore, entraTenant, required, resolve, str, strings } from './common';
import {
  APPLICATION_ID,
  InvalidIdError,
  parseId,
  parseObjectSubResourceId,
  SERVICE_PRINCIPAL_ID,
} from './resource-ids';

/** Entra roles that may manage any application, owner or not. */
const APPLICATION_ADMIN_ROLES = [
  'Global Administrator',
  'Application Administrator',
  'Cloud Application Administrator',
];

export const azureadClientConfig: DataSourceHandler = {
  async read({ config, context }) {
    const data = cloudStore().read();
    const { tenantId, principalId } = entraTenant(context, data);
    return {
      ...config,
      id: `${data.deployer.clientId}-${principalId}-${tenantId}`,
      client_id: data.deployer.clientId,
      object_id: principalId,
      tenant_id: tenantId,
    };
  },
};

export const azureadApplication: ResourceHandler = {
  async create({ planned, context }) {
    const application = cloudStore().update((data) => {
      const { tenantId } = entraTenant(context, data);
      const created: StoredApplication = {
        objectId: newGuid(),
        clientId: newGuid(),
        tenantId,
        displayName: required(planned, 'display_name'),
        signInAudience: str(planned.sign_in_audience) ?? 'AzureADMyOrg',
        owners: strings(planned.owners),
      };
      data.applications.push(created);
      return created;
    });
    return resolve(planned, {
      id: `/applications/${application.objectId}`,
      object_id: application.objectId,
      client_id: application.clientId,
      publisher_domain: `${application.tenantId.slice(0, 8)}.onmicrosoft.com`,
    });
  },
  // application_resource.go, applicationResourceRead: what Graph holds (the attributes the local cloud keeps).
  async read({ state }) {
    const application = applicationOf(cloudStore().read(), String(state.id));
    return application
      ? {
          ...state,
          id: `/applications/${application.objectId}`,
          object_id: application.objectId,
          client_id: application.clientId,
          display_name: application.displayName,
          // Default AzureADMyOrg (application_resource.go, the schema of sign_in_audience).
          sign_in_audience: asSet(
            application.signInAudience,
            state,
            'sign_in_audience',
            'AzureADMyOrg',
          ),
          owners: asSet([...application.owners], state, 'owners', []),
          publisher_domain: `${application.tenantId.slice(0, 8)}.onmicrosoft.com`,
        }
      : null;
  },
  // stable.ValidateApplicationID: `/applications/{objectId}`, parsed case-sensitively.
  async importState({ id }) {
    parseId(APPLICATION_ID, id);
    return { id };
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const application = applicationOf(data, String(planned.id));
      if (application)
        Object.assign(application, {
          displayName: required(planned, 'display_name'),
          signInAudience: str(planned.sign_in_audience) ?? 'AzureADMyOrg',
          owners: strings(planned.owners),
        });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const application = applicationOf(data, String(state.id));
      if (!application) return;
      data.applications = data.applications.filter((a) => a !== application);
      // Its credentials go with it; its service principals in other tenants stay until deleted.
      data.federatedCredentials = data.federatedCredentials.filter(
        (c) => !(c.parentKind === 'application' && c.parentId === application.objectId),
      );
    });
  },
};

export const azureadServicePrincipal: ResourceHandler = {
  async create({ planned, context }) {
    const clientId = required(planned, 'client_id');
    const sp = cloudStore().update((data) => {
      const { tenantId, principalId } = entraTenant(context, data);
      const application = data.applications.find((a) => a.clientId === clientId);
      if (
        !application ||
        (application.tenantId !== tenantId && application.signInAudience === 'AzureADMyOrg')
      ) {
        throw new AzureError(
          'Request_BadRequest',
          `Could not create service principal: unexpected status 400 (400 Bad Request) with error: The appId '${clientId}' of the service principal does not reference a valid application object.`,
          ['client_id'],
        );
      }
      // At home, adding an application's service principal is an owner's (or an admin's) right; in another
      // tenant, a foreign application's service principal needs an application admin of that tenant.
      if (application.tenantId === tenantId)
        mayManage(data, application, principalId, tenantId, 'service principal');
      else if (!isApplicationAdmin(data, tenantId))
        throw denied(
          'service principal',
          application,
          `in tenant ${tenantId}, the caller holds none of ${APPLICATION_ADMIN_ROLES.join(', ')}`,
        );
      if (data.servicePrincipals.some((s) => s.clientId === clientId && s.tenantId === tenantId)) {
        throw new AzureError(
          'ObjectConflict',
          `A service principal with application ID "${clientId}" already exists - to be managed via Terraform this resource needs to be imported into the State.`,
        );
      }
      const created = {
        objectId: newGuid(),
        clientId,
        tenantId,
        applicationTenantId: application.tenantId,
        owners: strings(planned.owners),
      };
      data.servicePrincipals.push(created);
      return { created, application };
    });
    return resolve(planned, {
      id: `/servicePrincipals/${sp.created.objectId}`,
      object_id: sp.created.objectId,
      application_tenant_id: sp.created.applicationTenantId,
      display_name: sp.application.displayName,
      sign_in_audience: sp.application.signInAudience,
      type: 'Application',
      service_principal_names: [sp.application.clientId],
    });
  },
  // service_principal_resource.go, servicePrincipalResourceRead: what Graph holds (the attributes the local cloud keeps).
  async read({ state }) {
    const data = cloudStore().read();
    const objectId = String(state.id).split('/').at(-1);
    const sp = data.servicePrincipals.find((s) => s.objectId === objectId);
    if (!sp) return null;
    const application = data.applications.find((a) => a.clientId === sp.clientId);
    return {
      ...state,
      id: `/servicePrincipals/${sp.objectId}`,
      object_id: sp.objectId,
      client_id: sp.clientId,
      application_tenant_id: sp.applicationTenantId,
      display_name: application?.displayName ?? state.display_name ?? null,
      sign_in_audience: application?.signInAudience ?? state.sign_in_audience ?? null,
      type: 'Application',
      service_principal_names: [sp.clientId],
      owners: asSet([...sp.owners], state, 'owners', []),
    };
  },
  // stable.ValidateServicePrincipalID: `/servicePrincipals/{objectId}`.
  async importState({ id }) {
    parseId(SERVICE_PRINCIPAL_ID, id);
    return { id };
  },
  async update({ planned }) {
    return planned;
  },
  async delete({ state }) {
    const objectId = String(state.id).split('/').at(-1);
    cloudStore().update((data) => {
      data.servicePrincipals = data.servicePrincipals.filter((s) => s.objectId !== objectId);
      data.roleAssignments = data.roleAssignments.filter((a) => a.principalId !== objectId);
    });
  },
};

export const azureadApplicationFederatedIdentityCredential: ResourceHandler = {
  async create({ planned, context }) {
    const applicationId = required(planned, 'application_id');
    const credentialId = newGuid();
    cloudStore().update((data) => {
      const application = applicationOf(data, applicationId);
      if (!application)
        throw new AzureError(
          'Request_ResourceNotFound',
          `Resource '${applicationId.split('/').at(-1)}' does not exist or one of its queried reference-property objects are not present.`,
          ['application_id'],
        );
      const caller = entraTenant(context, data);
      mayManage(
        data,
        application,
        caller.principalId,
        caller.tenantId,
        'federated identity credential',
      );
      const existing = data.federatedCredentials.filter(
        (c) => c.parentKind === 'application' && c.parentId === application.objectId,
      );
      const name = required(planned, 'display_name');
      if (existing.some((c) => c.name === name)) {
        throw new AzureError(
          'Request_BadRequest',
          `FederatedIdentityCredential with name ${name} already exists.`,
          ['display_name'],
        );
      }
      if (existing.length >= MAX_FEDERATED_CREDENTIALS) {
        throw new AzureError(
          'Request_BadRequest',
          `The application '${application.displayName}' already has the maximum of ${MAX_FEDERATED_CREDENTIALS} federated identity credentials.`,
        );
      }
      data.federatedCredentials.push({
        id: `/applications/${application.objectId}/federatedIdentityCredentials/${credentialId}`,
        name,
        parentKind: 'application',
        parentId: application.objectId,
        clientId: application.clientId,
        issuer: required(planned, 'issuer'),
        subject: required(planned, 'subject'),
        audiences: strings(planned.audiences),
        description: str(planned.description),
      });
    });
    // parse.NewCredentialID(objectId, "federatedIdentityCredential", id): `{objectId}/federatedIdentityCredential/{credentialId}`.
    return resolve(planned, {
      id: `${applicationId.split('/').at(-1)}/federatedIdentityCredential/${credentialId}`,
      credential_id: credentialId,
    });
  },
  // application_federated_identity_credential_resource.go, Read: the credential found from the id, as Graph holds it.
  async read({ state }) {
    const { objectId, subId } = parseObjectSubResourceId(
      String(state.id),
      'federatedIdentityCredential',
    );
    const credential = cloudStore()
      .read()
      .federatedCredentials.find(
        (c) =>
          c.parentKind === 'application' && c.parentId === objectId && c.id.endsWith(`/${subId}`),
      );
    if (!credential) return null;
    return {
      ...state,
      application_id: `/applications/${objectId}`,
      credential_id: subId,
      audiences: [...credential.audiences],
      description: asSet(credential.description ?? '', state, 'description', ''),
      display_name: credential.name,
      issuer: credential.issuer,
      subject: credential.subject,
    };
  },
  async importState({ id }) {
    try {
      parseObjectSubResourceId(id, 'federatedIdentityCredential');
    } catch (err) {
      throw new InvalidIdError(
        `unable to parse Federated Identity Credential ID: ${(err as Error).message}`,
      );
    }
    return { id };
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const credential = data.federatedCredentials.find((c) =>
        c.id.endsWith(`/${String(planned.credential_id)}`),
      );
      if (credential)
        Object.assign(credential, {
          issuer: required(planned, 'issuer'),
          subject: required(planned, 'subject'),
          audiences: strings(planned.audiences),
          description: str(planned.description),
        });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      data.federatedCredentials = data.federatedCredentials.filter(
        (c) => !c.id.endsWith(`/${String(state.credential_id)}`),
      );
    });
  },
};

/** The application an `application_id` (`/applications/<object id>`) names. */
function applicationOf(data: CloudStoreData, applicationId: string): StoredApplication | undefined {
  const objectId = applicationId.split('/').at(-1);
  return data.applications.find((a) => a.objectId === objectId);
}

// Entra lets owners and application administrators change an application and add to it; nobody else.
function mayManage(
  data: CloudStoreData,
  application: StoredApplication,
  principalId: string,
  tenantId: string,
  what: string,
): void {
  if (application.owners.includes(principalId) || isApplicationAdmin(data, tenantId)) return;
  throw denied(
    what,
    application,
    `the caller is not an owner of the application and holds none of ${APPLICATION_ADMIN_ROLES.join(', ')}`,
  );
}

function isApplicationAdmin(data: CloudStoreData, tenantId: string): boolean {
  return (data.deployer.directoryRoles[tenantId] ?? []).some((r) =>
    APPLICATION_ADMIN_ROLES.includes(r),
  );
}

function denied(what: string, application: StoredApplication, why: string): AzureError {
  return new AzureError(
    'Authorization_RequestDenied',
    `Could not create ${what} for application ${JSON.stringify(application.displayName)}: unexpected status 403 (403 Forbidden) with error: Authorization_RequestDenied: Insufficient privileges to complete the operation. (${why})`,
  );
}
