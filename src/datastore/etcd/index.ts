/**
 * The external etcd driver: `--datastore-endpoint http(s)://host:2379[,...]` with
 * --datastore-cafile/certfile/keyfile for TLS.
 */
export { EtcdBackend, type EtcdBackendOptions } from './backend.js';
export { EtcdUnavailableError } from './errors.js';
