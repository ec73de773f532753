/** What every verb handler gets: the store, who we are, and the limits. */
import type { Backend } from '../datastore/types.js';
import type { Logger } from '../log/index.js';
import type { Identity } from './header.js';

export interface FaceContext {
  readonly backend: Backend;
  readonly identity: Identity;
  readonly log: Logger;
  /** etcd's --max-txn-ops: operations allowed in one branch of a Txn. */
  readonly maxTxnOps: number;
  /** How often a watch created with progress_notify hears the current revision while idle. */
  readonly progressNotifyIntervalMs: number;
  /** The client URLs this face is served on (Cluster.MemberList). */
  readonly clientUrls: () => string[];
  readonly stats: FaceStats;
}

/** Counters for tests and debugging. */
export interface FaceStats {
  /** Times a watch stream's watchers detached from the store because its client stopped reading. */
  watchPauses: number;
}
