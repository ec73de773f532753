/**
 * Printers of the core kinds other than pods and services: nodes, namespaces, config, secrets,
 * service accounts, events, quotas, volumes and claims.
 */
import { arr, at, num, obj, str, type Obj } from './access.js';
import { AGE_COLUMN, col, convertor, NAME_COLUMN, nameCellsAge, nameOf } from './columns.js';
import { accessModes, age, quantity, since, sortedUnique } from './format.js';

function nodeStatus(node: Obj): string {
  const ready = arr(at(node, 'status', 'conditions'))
    .map(obj)
    .filter((c) => c['type'] === 'Ready')
    .pop();
  const status = [ready === undefined ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (at(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** node-role.kubernetes.io/<role> labels and the legacy kubernetes.io/role=<role>. */
function nodeRoles(node: Obj): string {
  const roles: string[] = [];
  for (const [key, value] of Object.entries(obj(at(node, 'metadata', 'labels')))) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.push(role);
    } else if (key === 'kubernetes.io/role' && str(value)) roles.push(str(value));
  }
  return sortedUnique(roles).join(',') || '<none>';
}

const nodeAddress = (node: Obj, type: string): string =>
  str(
    arr(at(node, 'status', 'addresses'))
      .map(obj)
      .find((a) => a['type'] === type)?.['address'],
  ) || '<none>';

export const nodeTable = convertor(
  [
    NAME_COLUMN,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  (o, now) => {
    const info = obj(at(o, 'status', 'nodeInfo'));
    return [
      nameOf(o),
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      str(info['kubeletVersion']),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      str(info['osImage']) || '<unknown>',
      str(info['kernelVersion']) || '<unknown>',
      str(info['containerRuntimeVersion']) || '<unknown>',
    ];
  },
);

export const namespaceTable = nameCellsAge([col('Status', 'string', 'The status of the namespace')], (o) => [
  str(at(o, 'status', 'phase')),
]);

export const configMapTable = nameCellsAge(
  [col('Data', 'string', 'Data contains the configuration data.')],
  (o) => [Object.keys(obj(o['data'])).length + Object.keys(obj(o['binaryData'])).length],
);

export const secretTable = nameCellsAge(
  [
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Data contains the secret data.'),
  ],
  (o) => [str(o['type']), Object.keys(obj(o['data'])).length],
);

export const serviceAccountTable = nameCellsAge(
  [col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.')],
  (o) => [arr(o['secrets']).length],
);

/** The fields of an event that the printer reads, from either API shape. */
interface EventView {
  name: string;
  first: unknown;
  eventTime: unknown;
  last: unknown;
  count: number;
  series: Obj | undefined;
  kind: string;
  objectName: string;
  fieldPath: string;
  type: string;
  reason: string;
  component: string;
  host: string;
  message: string;
}

const present = (value: unknown): value is string => typeof value === 'string' && value !== '';

function eventRow(e: EventView, now: Date): unknown[] {
  const first = present(e.first) ? since(e.first, now) : since(e.eventTime, now);
  let last = present(e.last) ? since(e.last, now) : first;
  let count = e.count;
  if (e.series) {
    last = since(e.series['lastObservedTime'], now);
    count = num(e.series['count']);
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const target = e.objectName ? `${e.kind.toLowerCase()}/${e.objectName}` : e.kind.toLowerCase();
  const source = e.host ? `${e.component}, ${e.host}` : e.component;
  return [last, e.type, e.reason, target, e.fieldPath, source, e.message.trim(), first, count, e.name];
}

const EVENT_COLUMNS = [
  col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  col('Object', 'string', 'The object that this event is about.'),
  col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
  col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  col('Message', 'string', 'A human-readable description of the status of this operation.'),
  col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  col('Count', 'string', 'The number of times this event has occurred.', 1),
  { ...NAME_COLUMN, priority: 1 },
];

const optional = (value: unknown): Obj | undefined => (value === undefined || value === null ? undefined : obj(value));

/** core/v1 Event. */
export const eventTable = convertor(EVENT_COLUMNS, (o, now) => {
  const involved = obj(o['involvedObject']);
  return eventRow(
    {
      name: nameOf(o),
      first: o['firstTimestamp'],
      eventTime: o['eventTime'],
      last: o['lastTimestamp'],
      count: num(o['count']),
      series: optional(o['series']),
      kind: str(involved['kind']),
      objectName: str(involved['name']),
      fieldPath: str(involved['fieldPath']),
      type: str(o['type']),
      reason: str(o['reason']),
      component: str(at(o, 'source', 'component')) || str(o['reportingComponent']),
      host: str(at(o, 'source', 'host')) || str(o['reportingInstance']),
      message: str(o['message']),
    },
    now,
  );
});

/** events.k8s.io/v1 Event: the same printer over the renamed fields. */
export const eventsV1Table = convertor(EVENT_COLUMNS, (o, now) => {
  const regarding = obj(o['regarding']);
  return eventRow(
    {
      name: nameOf(o),
      first: o['deprecatedFirstTimestamp'],
      eventTime: o['eventTime'],
      last: o['deprecatedLastTimestamp'],
      count: num(o['deprecatedCount']),
      series: optional(o['series']),
      kind: str(regarding['kind']),
      objectName: str(regarding['name']),
      fieldPath: str(regarding['fieldPath']),
      type: str(o['type']),
      reason: str(o['reason']),
      component: str(at(o, 'deprecatedSource', 'component')) || str(o['reportingController']),
      host: str(at(o, 'deprecatedSource', 'host')) || str(o['reportingInstance']),
      message: str(o['note']),
    },
    now,
  );
});

export const componentStatusTable = convertor(
  [
    NAME_COLUMN,
    col('Status', 'string', 'Status of the component conditions'),
    col('Message', 'string', 'Message of the component conditions'),
    col('Error', 'string', 'Error of the component conditions'),
  ],
  (o) => {
    const healthy = arr(o['conditions'])
      .map(obj)
      .find((c) => c['type'] === 'Healthy');
    if (!healthy) return [nameOf(o), 'Unknown', '', ''];
    return [nameOf(o), healthy['status'] === 'True' ? 'Healthy' : 'Unhealthy', str(healthy['message']), str(healthy['error'])];
  },
);

// Upstream prints AGE before the usage columns for quotas.
export const resourceQuotaTable = convertor(
  [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  (o, now) => {
    const hard = obj(at(o, 'status', 'hard'));
    const used = obj(at(o, 'status', 'used'));
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of sortedUnique(Object.keys(hard))) {
      const pieces = resource.split('.');
      const entry = `${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`;
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(entry);
    }
    return [nameOf(o), age(o, now), requests.join(', '), limits.join(', ')];
  },
);

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** The storage class: the beta annotation wins over the field, as upstream's helpers do. */
function storageClassOf(o: Obj): string {
  const annotations = obj(at(o, 'metadata', 'annotations'));
  if (typeof annotations[BETA_CLASS_ANNOTATION] === 'string') return annotations[BETA_CLASS_ANNOTATION];
  return str(at(o, 'spec', 'storageClassName'));
}

const deleting = (o: Obj): boolean => typeof at(o, 'metadata', 'deletionTimestamp') === 'string';
const unsetOr = (value: unknown): string => (typeof value === 'string' ? value : '<unset>');

export const persistentVolumeTable = convertor(
  [
    NAME_COLUMN,
    col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  (o, now) => {
    const spec = obj(o['spec']);
    const claim = optional(spec['claimRef']);
    return [
      nameOf(o),
      quantity(obj(spec['capacity'])['storage']),
      accessModes(spec['accessModes']),
      str(spec['persistentVolumeReclaimPolicy']),
      deleting(o) ? 'Terminating' : str(at(o, 'status', 'phase')),
      claim ? `${str(claim['namespace'])}/${str(claim['name'])}` : '',
      storageClassOf(o),
      unsetOr(spec['volumeAttributesClassName']),
      str(at(o, 'status', 'reason')),
      age(o, now),
      unsetOr(spec['volumeMode']),
    ];
  },
);

export const persistentVolumeClaimTable = convertor(
  [
    NAME_COLUMN,
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  (o, now) => {
    const spec = obj(o['spec']);
    const volume = str(spec['volumeName']);
    return [
      nameOf(o),
      deleting(o) ? 'Terminating' : str(at(o, 'status', 'phase')),
      volume,
      volume ? quantity(obj(at(o, 'status', 'capacity'))['storage']) : '',
      volume ? accessModes(at(o, 'status', 'accessModes')) : '',
      storageClassOf(o),
      unsetOr(spec['volumeAttributesClassName']),
      age(o, now),
      unsetOr(spec['volumeMode']),
    ];
  },
);
