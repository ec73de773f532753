/**
 * Pod and pod-template defaults (upstream's SetDefaults_PodSpec, _Container, _Probe, _Volume and
 * friends). `podSpec` is what every template inside a workload gets; `pod` adds what only
 * materialises on real pods (enableServiceLinks, requests from limits, priority, phase).
 */
import { child, items, isEmpty, isObject, optionalChild, setDefault, type Json } from './fields.js';

const VOLUME_SOURCES_DEFAULT_MODE = 0o644;

/** Always for ":latest" or no tag (and no digest), else IfNotPresent, as parsers.ParseImageName decides. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const [name = '', digest] = image.split('@', 2);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : '';
  const repository = colon >= 0 ? name.slice(0, colon) : name;
  // An unparseable reference (empty, upper-case repository) leaves the tag unknown: IfNotPresent.
  if (repository === '' || /[A-Z]/.test(repository.slice(repository.indexOf('/') + 1))) return 'IfNotPresent';
  if (tag === 'latest') return 'Always';
  return tag === '' && digest === undefined ? 'Always' : 'IfNotPresent';
}

function probe(p: Json | undefined): void {
  if (!p) return;
  // Plain int32 fields in Go: zero means unset.
  const defaults: [string, number][] = [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]];
  for (const [key, value] of defaults) if (!p[key]) p[key] = value;
  const http = optionalChild(p, 'httpGet');
  if (http) {
    setDefault(http, 'path', '/');
    setDefault(http, 'scheme', 'HTTP');
  }
}

function fieldRef(env: Json): void {
  const ref = optionalChild(optionalChild(env, 'valueFrom') ?? {}, 'fieldRef');
  if (ref) setDefault(ref, 'apiVersion', 'v1');
}

/** SetDefaults_Container plus the declarative defaults below it (ports, probes, env). */
export function container(c: Json): void {
  if (c['imagePullPolicy'] === undefined || c['imagePullPolicy'] === '') {
    c['imagePullPolicy'] = defaultPullPolicy(typeof c['image'] === 'string' ? c['image'] : '');
  }
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  child(c, 'resources');
  for (const port of items(c, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const env of items(c, 'env')) fieldRef(env);
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) probe(optionalChild(c, key));
  for (const key of ['postStart', 'preStop']) {
    const http = optionalChild(optionalChild(optionalChild(c, 'lifecycle') ?? {}, key) ?? {}, 'httpGet');
    if (http) {
      setDefault(http, 'path', '/');
      setDefault(http, 'scheme', 'HTTP');
    }
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

function volume(v: Json): void {
  if (!VOLUME_SOURCES.some((s) => isObject(v[s]))) v['emptyDir'] = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const source = optionalChild(v, key);
    if (source) setDefault(source, 'defaultMode', VOLUME_SOURCES_DEFAULT_MODE);
  }
  for (const item of items(optionalChild(v, 'downwardAPI'), 'items')) {
    const ref = optionalChild(item, 'fieldRef');
    if (ref) setDefault(ref, 'apiVersion', 'v1');
  }
  for (const source of items(optionalChild(v, 'projected'), 'sources')) {
    const token = optionalChild(source, 'serviceAccountToken');
    if (token) setDefault(token, 'expirationSeconds', 3600);
    for (const item of items(optionalChild(source, 'downwardAPI'), 'items')) {
      const ref = optionalChild(item, 'fieldRef');
      if (ref) setDefault(ref, 'apiVersion', 'v1');
    }
  }
  const hostPath = optionalChild(v, 'hostPath');
  if (hostPath && hostPath['type'] === undefined) hostPath['type'] = '';
  const iscsi = optionalChild(v, 'iscsi');
  if (iscsi) setDefault(iscsi, 'iscsiInterface', 'default');
}

/** SetDefaults_PodSpec and everything nested in it; applies to templates and pods alike. */
export function podSpec(spec: Json): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObject(spec['securityContext'])) spec['securityContext'] = {};
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers'), ...items(spec, 'ephemeralContainers')]) container(c);
  for (const v of items(spec, 'volumes')) volume(v);
  // v1's deprecated serviceAccount mirrors serviceAccountName (conversion fills either from the other).
  if (!spec['serviceAccountName'] && typeof spec['serviceAccount'] === 'string' && spec['serviceAccount']) spec['serviceAccountName'] = spec['serviceAccount'];
  if (typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName']) spec['serviceAccount'] = spec['serviceAccountName'];
}

const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/**
 * The DefaultTolerationSeconds admission plugin (on by default, as in k3s): pods tolerate a
 * not-ready or unreachable node for 300 s unless they already say otherwise.
 */
export function defaultTolerationSeconds(spec: Json): void {
  const tolerations = items(spec, 'tolerations');
  const tolerates = (taint: string): boolean =>
    tolerations.some((t) => (t['key'] === taint || !t['key']) && (t['effect'] === 'NoExecute' || !t['effect']));
  const added: Json[] = [];
  for (const taint of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!tolerates(taint)) added.push({ key: taint, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (added.length > 0) spec['tolerations'] = [...(Array.isArray(spec['tolerations']) ? spec['tolerations'] : []), ...added];
}

/** Requests default to limits where only limits are given (real pods only, as upstream). */
function requestsFromLimits(c: Json): void {
  const resources = child(c, 'resources');
  const limits = optionalChild(resources, 'limits');
  if (!limits || Object.keys(limits).length === 0) return;
  const requests = child(resources, 'requests');
  for (const [key, value] of Object.entries(limits)) if (requests[key] === undefined) requests[key] = value;
}

/** The real pod: the template defaults plus what upstream defaults and admits on pods only. */
export function pod(object: Json): void {
  const spec = child(object, 'spec');
  podSpec(spec);
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) requestsFromLimits(c);
  setDefault(spec, 'enableServiceLinks', true);
  if (spec['hostNetwork'] === true) {
    for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
      for (const port of items(c, 'ports')) if (!port['hostPort']) port['hostPort'] = port['containerPort'];
    }
  }
  defaultTolerationSeconds(spec);
  // The Priority admission plugin's answer when no class is named and none is the global default.
  if (isEmpty(spec['priorityClassName'])) {
    setDefault(spec, 'priority', 0);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
  const status = child(object, 'status');
  setDefault(status, 'phase', 'Pending');
  setDefault(status, 'qosClass', qosClass(spec));
}

const COMPUTE = ['cpu', 'memory'];

/** Guaranteed, Burstable or BestEffort from the containers' cpu and memory (qos.GetPodQOS). */
export function qosClass(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...items(spec, 'containers'), ...items(spec, 'initContainers')];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const resources = optionalChild(c, 'resources') ?? {};
    const requests = optionalChild(resources, 'requests') ?? {};
    const limits = optionalChild(resources, 'limits') ?? {};
    for (const name of COMPUTE) {
      const request = requests[name];
      const limit = limits[name];
      if (!isZero(request) || !isZero(limit)) anySet = true;
      if (isZero(limit) || (request !== undefined && String(request) !== String(limit))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const isZero = (quantity: unknown): boolean =>
  quantity === undefined || quantity === null || quantity === 0 || (typeof quantity === 'string' && /^[+]?0*(\.0*)?[a-zA-Z]*$/.test(quantity));
