/**
 * Response headers. A single-member "cluster": fixed cluster and member ids, and raft term 1
 * (there is no election to count). The revision is the store revision the answer reflects.
 */
import type { ResponseHeader } from './messages.js';

export interface Identity {
  readonly clusterId: number;
  readonly memberId: number;
  readonly raftTerm: number;
  /** Member name shown by `etcdctl member list`. */
  readonly name: string;
}

export function header(identity: Identity, revision: number): ResponseHeader {
  return { cluster_id: identity.clusterId, member_id: identity.memberId, revision, raft_term: identity.raftTerm };
}

/**
 * Stable ids from a seed string (the socket path): etcd's ids are uint64, ours stay below 2^53
 * so they decode exactly as JS numbers on both ends, and are never 0 (etcd clients treat 0 as
 * "no member").
 */
export function identityFrom(seed: string, name: string): Identity {
  return { clusterId: hash53(`cluster:${seed}`), memberId: hash53(`member:${seed}`), raftTerm: 1, name };
}

function hash53(text: string): number {
  // FNV-1a over two 32-bit lanes, folded to 53 bits.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const value = (h1 & 0x1fffff) * 0x100000000 + h2;
  return value === 0 ? 1 : value;
}
