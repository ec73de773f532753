/**
 * The etcd v3 gRPC API as this driver sees it: rpc.proto as shipped by the etcd3 npm package
 * (a maintained copy of etcd's api/etcdserverpb), loaded at runtime with proto-loader, and the
 * handful of message shapes we read and write, typed by hand. Field names keep etcd's
 * snake_case; int64 fields travel as decimal strings (proto-loader `longs: String`) because
 * revisions and lease ids may exceed 2^53 in principle, and are converted with `toNumber`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type Client, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export type Int64 = string | number;

export interface PbKeyValue {
  key: Buffer;
  create_revision: Int64;
  mod_revision: Int64;
  version: Int64;
  value: Buffer;
  lease: Int64;
}

export interface PbHeader {
  revision: Int64;
}

export interface PbRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: Int64;
  revision?: Int64;
  keys_only?: boolean;
  count_only?: boolean;
}

export interface PbRangeResponse {
  header: PbHeader;
  kvs: PbKeyValue[];
  more: boolean;
  count: Int64;
}

export interface PbPutRequest {
  key: Buffer;
  value: Buffer;
  lease?: Int64;
  prev_kv?: boolean;
}

export interface PbPutResponse {
  header: PbHeader;
  prev_kv: PbKeyValue | null;
}

export interface PbDeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface PbDeleteRangeResponse {
  header: PbHeader;
  deleted: Int64;
  prev_kvs: PbKeyValue[];
}

export type PbCompareResult = 'Equal' | 'Greater' | 'Less' | 'NotEqual';
export type PbCompareTarget = 'Version' | 'Create' | 'Mod' | 'Value' | 'Lease';

export interface PbCompare {
  result: PbCompareResult;
  target: PbCompareTarget;
  key: Buffer;
  version?: Int64;
  create_revision?: Int64;
  mod_revision?: Int64;
  value?: Buffer;
  lease?: Int64;
}

export interface PbRequestOp {
  request_range?: PbRangeRequest;
  request_put?: PbPutRequest;
  request_delete_range?: PbDeleteRangeRequest;
}

export interface PbResponseOp {
  response?: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn';
  response_range?: PbRangeResponse;
  response_put?: PbPutResponse;
  response_delete_range?: PbDeleteRangeResponse;
}

export interface PbTxnRequest {
  compare: PbCompare[];
  success: PbRequestOp[];
  failure: PbRequestOp[];
}

export interface PbTxnResponse {
  header: PbHeader;
  succeeded: boolean;
  responses: PbResponseOp[];
}

export interface PbEvent {
  type: 'Put' | 'Delete';
  kv: PbKeyValue;
  prev_kv: PbKeyValue | null;
}

export interface PbWatchRequest {
  create_request?: { key: Buffer; range_end?: Buffer; start_revision?: Int64; prev_kv?: boolean; progress_notify?: boolean };
  cancel_request?: { watch_id: Int64 };
}

export interface PbWatchResponse {
  header: PbHeader;
  watch_id: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision: Int64;
  cancel_reason: string;
  fragment: boolean;
  events: PbEvent[];
}

export interface PbLeaseGrantResponse {
  header: PbHeader;
  ID: Int64;
  TTL: Int64;
  error: string;
}

export interface PbLeaseKeepAliveResponse {
  header: PbHeader;
  ID: Int64;
  TTL: Int64;
}

export interface PbLeaseTimeToLiveResponse {
  header: PbHeader;
  ID: Int64;
  TTL: Int64;
  grantedTTL: Int64;
  keys: Buffer[];
}

export interface PbStatusResponse {
  header: PbHeader;
  version: string;
  dbSize: Int64;
}

/** Converts an int64 from the wire; revisions and lease ids stay far below 2^53 in practice. */
export function toNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** The service constructors from rpc.proto, keyed by service name. */
export interface EtcdServices {
  readonly KV: ServiceConstructor;
  readonly Watch: ServiceConstructor;
  readonly Lease: ServiceConstructor;
  readonly Maintenance: ServiceConstructor;
}

export type ServiceConstructor = new (address: string, credentials: ChannelCredentials, options?: ClientOptions) => Client;

let services: EtcdServices | undefined;

export function etcdServices(): EtcdServices {
  if (services !== undefined) return services;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve('etcd3/package.json')), 'proto');
  const definition = loadSync(join(protoDir, 'rpc.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir],
  });
  const loaded = loadPackageDefinition(definition) as unknown as { etcdserverpb: EtcdServices };
  services = loaded.etcdserverpb;
  return services;
}
