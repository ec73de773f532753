/** storage.k8s.io/v1: storage classes and the CSI bookkeeping kinds. */
import type { ResourceInfo } from '../types.js';
import { groupVersion, status } from './define.js';
import { csiDriverTable, csiNodeTable, csiStorageCapacityTable, storageClassTable, volumeAttachmentTable } from '../tables/index.js';
import { defaults } from '../defaults/index.js';
import { validators } from '../validation/index.js';

export function storageResources(): ResourceInfo[] {
  return groupVersion('storage.k8s.io', 'v1', [
    { kind: 'CSIDriver', resource: 'csidrivers', namespaced: false, table: csiDriverTable, defaults: defaults.csiDriver },
    { kind: 'CSINode', resource: 'csinodes', namespaced: false, table: csiNodeTable },
    { kind: 'CSIStorageCapacity', resource: 'csistoragecapacities', namespaced: true, table: csiStorageCapacityTable },
    { kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'], table: storageClassTable, defaults: defaults.storageClass, validate: validators.storageClass },
    { kind: 'VolumeAttachment', resource: 'volumeattachments', namespaced: false, subresources: [status], table: volumeAttachmentTable },
  ]);
}
