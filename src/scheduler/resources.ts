/**
 * What a pod asks for and what a node offers, in integer units (millicores, bytes, pod slots), as
 * the scheduler's NodeResourcesFit plugin counts them: a pod's request is the larger of the sum
 * over its containers and the largest init container, plus its overhead.
 */
import type { KubeObject } from '../api/types.js';
import { parseQuantity } from '../api/validation/quantity.js';

export interface Resources {
  cpu: number; // millicores
  memory: number; // bytes
  ephemeralStorage: number; // bytes
  pods: number;
}

export const RESOURCE_NAMES: Record<keyof Resources, string> = { cpu: 'cpu', memory: 'memory', ephemeralStorage: 'ephemeral-storage', pods: 'pods' };

export function zero(): Resources {
  return { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0 };
}

type ResourceList = Record<string, unknown> | undefined;

function fromList(list: ResourceList): Resources {
  const get = (name: string): number => parseQuantity(list?.[name]) ?? 0;
  return { cpu: Math.round(get('cpu') * 1000), memory: Math.round(get('memory')), ephemeralStorage: Math.round(get('ephemeral-storage')), pods: Math.round(get('pods')) };
}

interface ContainerLike {
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

/** A container's requests; an unset request defaults to its limit, as API defaulting does. */
function containerRequests(c: ContainerLike): Resources {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  return fromList({ ...limits, ...requests });
}

export function podRequests(pod: KubeObject): Resources {
  const spec = (pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: (ContainerLike & { restartPolicy?: string })[]; overhead?: ResourceList };
  const total = zero();
  for (const c of spec.containers ?? []) add(total, containerRequests(c));
  // Sidecars (init containers with restartPolicy Always) keep running: they add up.
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') add(total, containerRequests(c));
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    const r = containerRequests(c);
    total.cpu = Math.max(total.cpu, r.cpu);
    total.memory = Math.max(total.memory, r.memory);
    total.ephemeralStorage = Math.max(total.ephemeralStorage, r.ephemeralStorage);
  }
  add(total, fromList(spec.overhead));
  total.pods = 1;
  return total;
}

export function nodeAllocatable(node: KubeObject): Resources {
  const status = (node.status ?? {}) as { allocatable?: ResourceList; capacity?: ResourceList };
  return fromList(status.allocatable ?? status.capacity);
}

export function add(into: Resources, r: Resources): void {
  into.cpu += r.cpu;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.pods += r.pods;
}

export function subtract(into: Resources, r: Resources): void {
  into.cpu -= r.cpu;
  into.memory -= r.memory;
  into.ephemeralStorage -= r.ephemeralStorage;
  into.pods -= r.pods;
}
