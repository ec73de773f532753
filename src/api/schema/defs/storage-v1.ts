/** io.k8s.api.storage.v1: field numbers and types are protobuf facts; see ../dsl.ts for the notation. */
import { defs } from '../dsl.js';

export const STORAGE_V1 = defs('io.k8s.api.storage.v1', `
CSIDriver
  metadata                             1 meta.ObjectMeta
  spec                                 2 CSIDriverSpec                            !
CSIDriverList
  metadata                             1 meta.ListMeta
  items                                2 []CSIDriver                              !
CSIDriverSpec
  attachRequired                       1 bool                                     *
  podInfoOnMount                       2 bool                                     *
  volumeLifecycleModes                 3 []string                                 list=set
  storageCapacity                      4 bool                                     *
  fsGroupPolicy                        5 string                                   *
  tokenRequests                        6 []TokenRequest                           list=atomic
  requiresRepublish                    7 bool                                     *
  seLinuxMount                         8 bool                                     *
CSINode
  metadata                             1 meta.ObjectMeta
  spec                                 2 CSINodeSpec                              !
CSINodeDriver
  name                                 1 string                                   !
  nodeID                               2 string                                   !
  topologyKeys                         3 []string                                 *
  allocatable                          4 VolumeNodeResources
CSINodeList
  metadata                             1 meta.ListMeta
  items                                2 []CSINode                                !
CSINodeSpec
  drivers                              1 []CSINodeDriver                          ! patch=merge:name
CSIStorageCapacity
  metadata                             1 meta.ObjectMeta
  nodeTopology                         2 meta.LabelSelector
  storageClassName                     3 string                                   !
  capacity                             4 quantity                                 *
  maximumVolumeSize                    5 quantity                                 *
CSIStorageCapacityList
  metadata                             1 meta.ListMeta
  items                                2 []CSIStorageCapacity
StorageClass
  metadata                             1 meta.ObjectMeta
  provisioner                          2 string                                   !
  parameters                           3 {}string
  reclaimPolicy                        4 string                                   * enum=Delete|Recycle|Retain
  mountOptions                         5 []string
  allowVolumeExpansion                 6 bool                                     *
  volumeBindingMode                    7 string                                   * enum=Immediate|WaitForFirstConsumer
  allowedTopologies                    8 []core.v1.TopologySelectorTerm
StorageClassList
  metadata                             1 meta.ListMeta
  items                                2 []StorageClass                           !
TokenRequest
  audience                             1 string                                   !
  expirationSeconds                    2 int64
VolumeAttachment
  metadata                             1 meta.ObjectMeta
  spec                                 2 VolumeAttachmentSpec                     !
  status                               3 VolumeAttachmentStatus
VolumeAttachmentList
  metadata                             1 meta.ListMeta
  items                                2 []VolumeAttachment                       !
VolumeAttachmentSource
  persistentVolumeName                 1 string                                   *
  inlineVolumeSpec                     2 core.v1.PersistentVolumeSpec
VolumeAttachmentSpec
  attacher                             1 string                                   !
  source                               2 VolumeAttachmentSource                   !
  nodeName                             3 string                                   !
VolumeAttachmentStatus
  attached                             1 bool                                     !
  attachmentMetadata                   2 {}string
  attachError                          3 VolumeError
  detachError                          4 VolumeError
VolumeError
  time                                 1 time
  message                              2 string
VolumeNodeResources
  count                                1 int32                                    *
`);
