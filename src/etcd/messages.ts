/**
 * Wire shapes of the etcd v3 messages this server reads and writes, as @grpc/proto-loader
 * decodes them (proto.ts options: proto field names, int64 as number, enums as numbers, absent
 * fields filled with defaults, `oneofs` naming the member that is set). Responses may omit
 * fields; the encoder fills proto3 defaults.
 */

export interface ResponseHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}

export interface WireKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: number;
}

export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;
export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;

export interface RangeRequest {
  key: Buffer;
  range_end: Buffer;
  limit: number;
  revision: number;
  sort_order: number;
  sort_target: number;
  serializable: boolean;
  keys_only: boolean;
  count_only: boolean;
  min_mod_revision: number;
  max_mod_revision: number;
  min_create_revision: number;
  max_create_revision: number;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: WireKeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: number;
  prev_kv: boolean;
  ignore_value: boolean;
  ignore_lease: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prev_kv?: WireKeyValue;
}

export interface DeleteRangeRequest {
  key: Buffer;
  range_end: Buffer;
  prev_kv: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prev_kvs: WireKeyValue[];
}

export interface RequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  request_range?: RangeRequest | null;
  request_put?: PutRequest | null;
  request_delete_range?: DeleteRangeRequest | null;
  request_txn?: TxnRequest | null;
}

export type ResponseOp =
  | { response_range: RangeResponse }
  | { response_put: PutResponse }
  | { response_delete_range: DeleteRangeResponse }
  | { response_txn: TxnResponse };

export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;

export interface WireCompare {
  result: number;
  target: number;
  key: Buffer;
  target_union?: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';
  version: number;
  create_revision: number;
  mod_revision: number;
  value: Buffer;
  lease: number;
  range_end: Buffer;
}

export interface TxnRequest {
  compare: WireCompare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  physical: boolean;
}

export const FilterType = { NOPUT: 0, NODELETE: 1 } as const;

export interface WatchCreateRequest {
  key: Buffer;
  range_end: Buffer;
  start_revision: number;
  progress_notify: boolean;
  filters: number[];
  prev_kv: boolean;
  watch_id: number;
  fragment: boolean;
}

export interface WatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  create_request?: WatchCreateRequest | null;
  cancel_request?: { watch_id: number } | null;
  progress_request?: object | null;
}

export const EventType = { PUT: 0, DELETE: 1 } as const;

export interface WireEvent {
  type: number;
  kv: WireKeyValue;
  prev_kv?: WireKeyValue;
}

export interface WatchResponse {
  header: ResponseHeader;
  watch_id: number;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: number;
  cancel_reason?: string;
  events?: WireEvent[];
}

export interface LeaseGrantRequest {
  TTL: number;
  ID: number;
}

export interface LeaseTimeToLiveRequest {
  ID: number;
  keys: boolean;
}

export const AlarmAction = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;
