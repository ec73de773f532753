/**
 * Admission: kind-specific steps between decoding and storage that need the rest of the cluster
 * (namespace lifecycle, Service IP allocation, ...). A plugin may mutate `object` or throw a
 * StatusError; plugins run after defaulting and before validation, in registration order.
 */
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import type { UserInfo } from '../types.js';

export interface AdmissionAttributes {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  readonly info: ResourceInfo;
  readonly namespace: string;
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
  readonly subresource: string;
  readonly dryRun: boolean;
  readonly user: UserInfo;
}

export interface AdmissionPlugin {
  readonly name: string;
  admit(attributes: AdmissionAttributes): Promise<void> | void;
}
