/**
 * etcd/: the etcd v3 gRPC API (KV, Watch, Lease, Maintenance.Status, Cluster.MemberList) over a
 * datastore Backend, so etcdctl and etcd clients can use k3s's store directly.
 *
 *   const face = etcdFaceFor(config, backend);   // after backend.start()
 *   await face.start(signal);                    // abort the signal before backend.close()
 */
import type { Config } from '../config/index.js';
import { serverPaths } from '../config/paths.js';
import type { Backend } from '../datastore/types.js';
import { EtcdFace } from './face.js';

export { EtcdFace, type EtcdFaceOptions } from './face.js';
export { ETCD_API_VERSION } from './maintenance.js';

/** The face `k3s server` runs: unix://<data-dir>/server/kine.sock, plus --etcd-listen-address. */
export function etcdFaceFor(config: Pick<Config, 'dataDir' | 'datastore'>, backend: Backend): EtcdFace {
  return new EtcdFace(backend, { socketPath: serverPaths(config).kineSocket, tcpAddress: config.datastore.etcdListenAddress });
}
