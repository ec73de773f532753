/**
 * Printers of the cluster-level kinds: storage, coordination, scheduling, node, rbac bindings,
 * certificates, admission, flow control and API services.
 */
import { arr, at, num, obj, str, type Obj } from './access.js';
import { AGE_COLUMN, col, convertor, NAME_COLUMN, nameCellsAge, nameOf } from './columns.js';
import { age, humanDuration, quantity, selectorString } from './format.js';

function isDefaultClass(o: Obj): boolean {
  const annotations = obj(at(o, 'metadata', 'annotations'));
  return (
    annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
    annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

export const storageClassTable = convertor(
  [
    NAME_COLUMN,
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  (o, now) => [
    nameOf(o) + (isDefaultClass(o) ? ' (default)' : ''),
    str(o['provisioner']),
    typeof o['reclaimPolicy'] === 'string' ? o['reclaimPolicy'] : 'Delete',
    typeof o['volumeBindingMode'] === 'string' ? o['volumeBindingMode'] : 'Immediate',
    o['allowVolumeExpansion'] === true,
    age(o, now),
  ],
);

export const volumeAttachmentTable = nameCellsAge(
  [
    { ...col('Attacher', 'string', 'attacher indicates the name of the volume driver that MUST handle this request.'), format: 'name' },
    col('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.'),
    col('Node', 'string', 'nodeName represents the node that the volume should be attached to.'),
    col('Attached', 'boolean', 'attached indicates the volume is successfully attached.'),
  ],
  (o) => [
    str(at(o, 'spec', 'attacher')),
    str(at(o, 'spec', 'source', 'persistentVolumeName')),
    str(at(o, 'spec', 'nodeName')),
    at(o, 'status', 'attached') === true,
  ],
);

export const csiNodeTable = nameCellsAge(
  [col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node')],
  (o) => [arr(at(o, 'spec', 'drivers')).length],
);

export const csiDriverTable = nameCellsAge(
  [
    col('AttachRequired', 'boolean', 'attachRequired indicates this CSI volume driver requires an attach operation.'),
    col('PodInfoOnMount', 'boolean', 'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.'),
    col('StorageCapacity', 'boolean', 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.'),
    col('TokenRequests', 'string', 'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for.'),
    col('RequiresRepublish', 'boolean', 'requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.'),
    col('Modes', 'string', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
  ],
  (o) => {
    const spec = obj(o['spec']);
    const tokenRequests = spec['tokenRequests'];
    return [
      spec['attachRequired'] !== false,
      spec['podInfoOnMount'] === true,
      spec['storageCapacity'] === true,
      Array.isArray(tokenRequests) ? tokenRequests.map((t) => str(obj(t)['audience'])).join(',') : '<unset>',
      spec['requiresRepublish'] === true,
      arr(spec['volumeLifecycleModes']).map(str).join(',') || '<none>',
    ];
  },
);

export const csiStorageCapacityTable = convertor(
  [
    NAME_COLUMN,
    col('StorageClassName', 'string', 'storageClassName represents the name of the StorageClass that the reported capacity applies to.'),
    col('Capacity', 'string', 'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest.'),
  ],
  (o) => [nameOf(o), str(o['storageClassName']), o['capacity'] === undefined || o['capacity'] === null ? '<unset>' : quantity(o['capacity'])],
);

export const leaseTable = nameCellsAge(
  [col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.')],
  (o) => [str(at(o, 'spec', 'holderIdentity'))],
);

export const priorityClassTable = convertor(
  [
    NAME_COLUMN,
    col('Value', 'integer', 'value represents the integer value of this priority class.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  (o, now) => [nameOf(o), num(o['value']), o['globalDefault'] === true, age(o, now), str(o['preemptionPolicy'])],
);

export const runtimeClassTable = nameCellsAge(
  // Upstream reads this description from ObjectMeta's docs, which have no "handler": it is empty.
  [col('Handler', 'string', '')],
  (o) => [str(o['handler'])],
);

/** USERS, GROUPS, SERVICEACCOUNTS of a binding (rbac.SubjectsStrings), joined by ", ". */
function subjects(o: Obj): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of arr(o['subjects']).map(obj)) {
    if (s['kind'] === 'ServiceAccount') sas.push(`${str(s['namespace'])}/${str(s['name'])}`);
    else if (s['kind'] === 'User') users.push(str(s['name']));
    else if (s['kind'] === 'Group') groups.push(str(s['name']));
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingTable(what: string) {
  return convertor(
    [
      NAME_COLUMN,
      col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE_COLUMN,
      col('Users', 'string', `Users in the ${what}`, 1),
      col('Groups', 'string', `Groups in the ${what}`, 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    (o, now) => [nameOf(o), `${str(at(o, 'roleRef', 'kind'))}/${str(at(o, 'roleRef', 'name'))}`, age(o, now), ...subjects(o)],
  );
}
export const roleBindingTable = bindingTable('roleBinding');
export const clusterRoleBindingTable = bindingTable('clusterRoleBinding');

function csrCondition(o: Obj): string {
  const types = new Set(arr(at(o, 'status', 'conditions')).map((c) => str(obj(c)['type'])));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (str(at(o, 'status', 'certificate')).length > 0) status += ',Issued';
  return status;
}

export const certificateSigningRequestTable = convertor(
  [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'string', 'signerName indicates the requested signer, and is a qualified name.'),
    col('Requestor', 'string', 'request contains an x509 certificate signing request encoded in a "CERTIFICATE REQUEST" PEM block.'),
    col('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
    col('Condition', 'string', 'Conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".'),
  ],
  (o, now) => {
    const spec = obj(o['spec']);
    const expiration = spec['expirationSeconds'];
    return [
      nameOf(o),
      age(o, now),
      str(spec['signerName']) || '<none>',
      str(spec['username']),
      typeof expiration === 'number' ? humanDuration(expiration * 1000) : '<none>',
      csrCondition(o),
    ];
  },
);

export const mutatingWebhookTable = nameCellsAge(
  [col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration')],
  (o) => [arr(o['webhooks']).length],
);
export const validatingWebhookTable = mutatingWebhookTable;

export const validatingAdmissionPolicyTable = nameCellsAge(
  [
    col('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    col('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
  ],
  (o) => {
    const paramKind = at(o, 'spec', 'paramKind');
    return [
      arr(at(o, 'spec', 'validations')).length,
      paramKind === undefined || paramKind === null ? '<unset>' : `${str(obj(paramKind)['apiVersion'])}/${str(obj(paramKind)['kind'])}`,
    ];
  },
);

export const validatingAdmissionPolicyBindingTable = nameCellsAge(
  [
    col('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    col('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
  ],
  (o) => {
    const ref = at(o, 'spec', 'paramRef');
    let param = '<unset>';
    if (ref !== undefined && ref !== null) {
      const r = obj(ref);
      if (str(r['name'])) param = `${str(r['namespace']) || '*'}/${str(r['name'])}`;
      else if (r['selector'] !== undefined && r['selector'] !== null) param = selectorString(r['selector']);
    }
    return [str(at(o, 'spec', 'policyName')), param];
  },
);

export const flowSchemaTable = convertor(
  [
    NAME_COLUMN,
    col('PriorityLevel', 'string', '`name` is the name of the priority level configuration being referenced Required.'),
    col('MatchingPrecedence', 'string', '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request.'),
    col('DistinguisherMethod', 'string', '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema.'),
    AGE_COLUMN,
    col('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  (o, now) => {
    const method = at(o, 'spec', 'distinguisherMethod');
    const dangling = arr(at(o, 'status', 'conditions'))
      .map(obj)
      .find((c) => c['type'] === 'Dangling');
    return [
      nameOf(o),
      str(at(o, 'spec', 'priorityLevelConfiguration', 'name')),
      num(at(o, 'spec', 'matchingPrecedence')),
      method === undefined || method === null ? '<none>' : str(obj(method)['type']),
      age(o, now),
      dangling ? str(dangling['status']) : '?',
    ];
  },
);

export const priorityLevelConfigurationTable = nameCellsAge(
  [
    col('Type', 'string', '`type` indicates whether this priority level is subject to limitation on request execution.'),
    col('NominalConcurrencyShares', 'string', '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.'),
    col('Queues', 'string', '`queues` is the number of queues for this priority level.'),
    col('HandSize', 'string', '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.'),
    col('QueueLengthLimit', 'string', '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time.'),
  ],
  (o) => {
    const limited = at(o, 'spec', 'limited');
    let cells: unknown[] = ['<none>', '<none>', '<none>', '<none>'];
    if (limited !== undefined && limited !== null) {
      const queuing = at(limited, 'limitResponse', 'queuing');
      const ncs = num(obj(limited)['nominalConcurrencyShares']);
      cells =
        queuing === undefined || queuing === null
          ? [ncs, '<none>', '<none>', '<none>']
          : [ncs, num(obj(queuing)['queues']), num(obj(queuing)['handSize']), num(obj(queuing)['queueLengthLimit'])];
    }
    return [str(at(o, 'spec', 'type')), ...cells];
  },
);

/** kube-aggregator's printer: where the group is served and whether it is available. */
export const apiServiceTable = nameCellsAge(
  [
    col('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    col('Available', 'string', 'Whether this service is available.'),
  ],
  (o) => {
    const service = at(o, 'spec', 'service');
    const available = arr(at(o, 'status', 'conditions'))
      .map(obj)
      .find((c) => c['type'] === 'Available');
    let status = 'Unknown';
    if (available) {
      const s = str(available['status']);
      status = s !== 'True' && str(available['reason']) ? `${s} (${str(available['reason'])})` : s;
    }
    return [
      service === undefined || service === null ? 'Local' : `${str(obj(service)['namespace'])}/${str(obj(service)['name'])}`,
      status,
    ];
  },
);
