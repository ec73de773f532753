/**
 * etcd/: the etcd v3 gRPC API (KV, Watch, Lease, Maintenance.Status, Cluster.MemberList) over a
 * datastore Backend, so etcdctl and etcd clients can use k3s's store directly.
 *
 *   const face = new EtcdFace(backend, { socketPath: serverPaths(config).kineSocket, tcpAddress: config.etcdListenAddress });
 *   supervisor.add(face);
 */
export { EtcdFace, type EtcdFaceOptions } from './face.js';
export { ETCD_API_VERSION } from './maintenance.js';
