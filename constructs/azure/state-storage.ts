import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { STATE_ROLE } from '../../config/built-in-roles';
import { storageAccountName, storageContainerName } from '../../config/rules';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of a `StateStorage`. */
export interface StateStorageProps {
  /** Globally unique storage account name. */
  readonly storageAccountName: string;
  readonly containerName: string;
  readonly resourceGroup: ResourceGroupReference;
  /**
   * Days a deleted or overwritten state blob, or a deleted container, can be brought back.
   * @default 30
   */
  readonly retentionDays?: number;
}

/** A principal that can hold a role: a user, a group, a service principal or a managed identity. */
export interface Principal {
  /** The object id of the principal. */
  readonly principalId: string;
}

/**
 * A storage account and container for Terraform state, as remote state wants it: reached with Entra tokens only
 * (shared keys off), nothing public, TLS 1.2 at least, every write kept as a blob version and deletes held back by
 * soft delete, so that a bad write of the state can be undone.
 * @see https://learn.microsoft.com/azure/developer/terraform/store-state-in-azure-storage
 * @see https://learn.microsoft.com/azure/storage/blobs/versioning-overview
 */
export class StateStorage extends Construct {
  /** The `azurerm_storage_account` resource. */
  readonly account: StorageAccount;
  /** The `azurerm_storage_container` resource. */
  readonly container: StorageContainer;

  constructor(scope: Construct, id: string, props: StateStorageProps) {
    super(scope, id);
    if (
      !Token.isUnresolved(props.storageAccountName) &&
      !storageAccountName.test(props.storageAccountName)
    )
      throw new Error(
        `storage account name ${JSON.stringify(props.storageAccountName)} must be ${storageAccountName.description}`,
      );
    if (!Token.isUnresolved(props.containerName) && !storageContainerName.test(props.containerName))
      throw new Error(
        `container name ${JSON.stringify(props.containerName)} must be ${storageContainerName.description}`,
      );
    const days = props.retentionDays ?? 30;
    this.account = new StorageAccount(this, 'Resource', {
      name: props.storageAccountName,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
      accountTier: 'Standard',
      // Locally redundant: offered in every region; the versions below are what undo a bad write.
      accountReplicationType: 'LRS',
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      allowNestedItemsToBePublic: false,
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days },
        containerDeleteRetentionPolicy: { days },
      },
    });
    // Through the storage account's id, the container is made with Resource Manager: no data-plane key needed.
    this.container = new StorageContainer(this, 'Container', {
      name: props.containerName,
      storageAccountId: this.account.id,
      containerAccessType: 'private',
    });
  }

  /** `Storage Blob Data Contributor` on the state container (not the whole account) for `principal`; returns it. */
  grantStateAccess(id: string, principal: Principal): RoleAssignment {
    return new RoleAssignment(this, `StateAccess-${id}`, {
      scope: this.container.id,
      roleDefinitionName: STATE_ROLE,
      principalId: principal.principalId,
    });
  }
}
