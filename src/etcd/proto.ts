/**
 * The etcd v3 service definitions, loaded at runtime from the .proto files the `etcd3` npm
 * package ships (etcdserverpb rpc.proto, mvccpb kv.proto, authpb auth.proto). Field names keep
 * their proto spelling (keepCase) so the wire types in messages.ts read like etcd's API docs;
 * int64 fields decode to JS numbers, which is exact for every revision and for the lease and
 * member ids this server hands out (all below 2^53, checked where a client chooses one).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export type EtcdServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';
export const ETCD_SERVICES: readonly EtcdServiceName[] = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'];

let cached: Record<EtcdServiceName, ServiceDefinition> | undefined;

/** The gRPC service definitions of etcd v3's etcdserverpb package, parsed once per process. */
export function etcdServices(): Record<EtcdServiceName, ServiceDefinition> {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve('etcd3/package.json')), 'proto');
  const definition = loadSync(join(protoDir, 'rpc.proto'), {
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir],
  });
  const root = loadPackageDefinition(definition) as unknown as { etcdserverpb: Record<string, { service: ServiceDefinition }> };
  const services = {} as Record<EtcdServiceName, ServiceDefinition>;
  for (const name of ETCD_SERVICES) {
    const service = root.etcdserverpb[name]?.service;
    if (!service) throw new Error(`etcd proto: service etcdserverpb.${name} missing from ${protoDir}/rpc.proto`);
    services[name] = service;
  }
  cached = services;
  return services;
}
