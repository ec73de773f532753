/**
 * The Node object this agent registers and the status it reports, built from settings and
 * machine facts. Pure functions, so the shape is unit-testable without a cluster.
 */
import type { KubeObject } from '../../api/types.js';
import type { MachineInfo } from './machine.js';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeSettings {
  readonly name: string;
  /** A server's node gets node-role.kubernetes.io/control-plane (and master, as upstream k3s). */
  readonly controlPlane: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly nodeIP: string;
  readonly hostname: string;
  readonly kubeletVersion: string;
  readonly kubeletPort: number;
  /** Set to the pod CIDR once known. */
  readonly podCidr?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export const MAX_PODS = 110;

/** "key=value:Effect" or "key:Effect" (upstream's --node-taint syntax). */
export function parseTaint(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text.trim());
  if (!m) throw new Error(`--node-taint "${text}": expected key=value:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute`);
  return { key: m[1]!, ...(m[2] !== undefined && m[2] !== '' ? { value: m[2] } : {}), effect: m[3] as Taint['effect'] };
}

/** "key=value" (upstream's --node-label syntax). */
export function parseLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--node-label "${text}": expected key=value`);
  return [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}

export function nodeLabels(settings: NodeSettings, machine: MachineInfo): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': machine.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': machine.architecture,
    'kubernetes.io/hostname': settings.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'k3s',
    ...(settings.controlPlane ? { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } : {}),
    ...settings.labels,
  };
}

export function nodeCapacity(machine: MachineInfo): Record<string, string> {
  return {
    cpu: String(machine.cpus),
    'ephemeral-storage': `${machine.ephemeralStorageKi}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${machine.memoryKi}Ki`,
    pods: String(MAX_PODS),
  };
}

export function nodeStatus(settings: NodeSettings, machine: MachineInfo, runtimeVersion: string, conditions: Condition[]): Record<string, unknown> {
  const capacity = nodeCapacity(machine);
  return {
    capacity,
    allocatable: capacity,
    conditions,
    addresses: [
      { type: 'InternalIP', address: settings.nodeIP },
      { type: 'Hostname', address: settings.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: settings.kubeletPort } },
    nodeInfo: {
      machineID: machine.machineID,
      systemUUID: machine.machineID,
      bootID: machine.bootID,
      kernelVersion: machine.kernelVersion,
      osImage: machine.osImage,
      containerRuntimeVersion: runtimeVersion,
      kubeletVersion: settings.kubeletVersion,
      kubeProxyVersion: settings.kubeletVersion,
      operatingSystem: 'linux',
      architecture: machine.architecture,
    },
  };
}

export function newNode(settings: NodeSettings, machine: MachineInfo, runtimeVersion: string, conditions: Condition[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: settings.name,
      labels: nodeLabels(settings, machine),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      providerID: `k3s://${settings.name}`,
      ...(settings.podCidr ? { podCIDR: settings.podCidr, podCIDRs: [settings.podCidr] } : {}),
      ...(settings.taints.length > 0 ? { taints: settings.taints.map((t) => ({ ...t })) } : {}),
    },
    status: nodeStatus(settings, machine, runtimeVersion, conditions),
  } as KubeObject;
}

/**
 * The four conditions upstream's kubelet reports. `runtimeProblem` (from CRI Status) turns
 * Ready False with its message; pressure conditions are False (no eviction manager yet).
 */
export function nodeConditions(runtimeProblem: string | undefined, previous: readonly Condition[], now: string): Condition[] {
  const wanted: Condition[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    runtimeProblem === undefined
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: runtimeProblem },
  ];
  return wanted.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    const transition = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: transition };
  });
}
