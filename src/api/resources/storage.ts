/** storage.k8s.io/v1: storage classes and the CSI bookkeeping kinds. */
import type { ResourceInfo } from '../types.js';
import { groupVersion, status } from './define.js';

export function storageResources(): ResourceInfo[] {
  return groupVersion('storage.k8s.io', 'v1', [
    { kind: 'CSIDriver', resource: 'csidrivers', namespaced: false },
    { kind: 'CSINode', resource: 'csinodes', namespaced: false },
    { kind: 'CSIStorageCapacity', resource: 'csistoragecapacities', namespaced: true },
    { kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    { kind: 'VolumeAttachment', resource: 'volumeattachments', namespaced: false, subresources: [status] },
  ]);
}
