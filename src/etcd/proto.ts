/**
 * The etcd v3 service definitions, built at runtime from the .proto files the `etcd3` npm
 * package ships (etcdserverpb rpc.proto, mvccpb kv.proto, authpb auth.proto). Field names keep
 * their proto spelling (keepCase) so the wire types in messages.ts read like etcd's API docs;
 * int64 fields decode to JS numbers, which is exact for every revision and for the lease and
 * member ids this server hands out (all below 2^53, checked where a client chooses one).
 *
 * Built with protobufjs directly rather than @grpc/proto-loader: proto-loader also makes a
 * descriptor proto of every file and message (for gRPC reflection, which this server does not
 * offer), which cost ~58 ms of every server start. The (de)serializers are the same as
 * proto-loader's: fromObject + encode, decode + toObject with the options below.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export type EtcdServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';
export const ETCD_SERVICES: readonly EtcdServiceName[] = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'];

let cached: Record<EtcdServiceName, ServiceDefinition> | undefined;

/** How decoded messages look (proto-loader's options of the same names). */
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, oneofs: true };

/** The gRPC service definitions of etcd v3's etcdserverpb package, parsed once per process. */
export function etcdServices(): Record<EtcdServiceName, ServiceDefinition> {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve('etcd3/package.json')), 'proto');
  const root = new protobuf.Root().loadSync(join(protoDir, 'rpc.proto'), { keepCase: true });
  root.resolveAll();
  const services = {} as Record<EtcdServiceName, ServiceDefinition>;
  for (const name of ETCD_SERVICES) {
    const service = root.lookup(`etcdserverpb.${name}`);
    if (!(service instanceof protobuf.Service)) throw new Error(`etcd proto: service etcdserverpb.${name} missing from ${protoDir}/rpc.proto`);
    const definition: Record<string, MethodDefinition<object, object>> = {};
    for (const method of service.methodsArray) definition[method.name] = methodDefinition(name, method);
    services[name] = definition as ServiceDefinition;
  }
  cached = services;
  return services;
}

function methodDefinition(service: string, method: protobuf.Method): MethodDefinition<object, object> {
  // resolveAll() above resolved every type; a missing one is a broken proto file.
  const request = method.resolvedRequestType;
  const response = method.resolvedResponseType;
  if (!request || !response) throw new Error(`etcd proto: ${service}.${method.name} has unresolved message types`);
  return {
    path: `/etcdserverpb.${service}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: serializer(request),
    requestDeserialize: deserializer(request),
    responseSerialize: serializer(response),
    responseDeserialize: deserializer(response),
    // grpc-js clients also offer the lowerCamelCase name, as with proto-loader.
    originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
  };
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}
