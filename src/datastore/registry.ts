/**
 * Driver registry: picks the Backend implementation for a parsed --datastore-endpoint. Drivers
 * are loaded lazily (only the selected driver's client library is imported). A driver that is
 * not registered in this build fails with a clear error naming the endpoint forms that work.
 */
import type { Logger } from '../log/index.js';
import type { DatastoreEndpoint } from './endpoint.js';
import type { Backend } from './types.js';
import { DatastoreOpenError } from './types.js';

export interface OpenOptions {
  /** The k3s data dir (the SQLite default lives in <dataDir>/server/db/state.db). */
  readonly dataDir: string;
  readonly logger?: Logger;
  /** Compaction timer period in ms (default 5 min; 0 = off). */
  readonly compactIntervalMs?: number;
  /** Revisions kept by timed compaction (default 1000). */
  readonly compactRetain?: number;
  /** Lease expiry check period in ms (default 1000; 0 = off). */
  readonly leaseCheckIntervalMs?: number;
  /** Clock for lease expiry, ms since epoch (tests). */
  readonly now?: () => number;
}

/** Builds an unstarted Backend for an endpoint of its driver. */
export type DriverFactory = (endpoint: DatastoreEndpoint, options: OpenOptions) => Backend | Promise<Backend>;

type Loader = () => Promise<DriverFactory>;

const drivers = new Map<DatastoreEndpoint['driver'], Loader>([
  [
    'sqlite',
    async () => {
      const { openSqlite } = await import('./sqlite/index.js');
      return (endpoint, options) => {
        if (endpoint.driver !== 'sqlite') throw new TypeError(`sqlite driver got a ${endpoint.driver} endpoint`);
        return openSqlite(endpoint, options);
      };
    },
  ],
  [
    'postgres',
    async () => {
      const { openPostgres } = await import('./postgres/index.js');
      return (endpoint, options) => {
        if (endpoint.driver !== 'postgres') throw new TypeError(`postgres driver got a ${endpoint.driver} endpoint`);
        const { dataDir: _dataDir, ...logOptions } = options;
        return openPostgres(endpoint, logOptions);
      };
    },
  ],
  [
    'mysql',
    async () => {
      const { openMysql } = await import('./mysql/index.js');
      return (endpoint, options) => {
        if (endpoint.driver !== 'mysql') throw new TypeError(`mysql driver got a ${endpoint.driver} endpoint`);
        const { dataDir: _dataDir, ...logOptions } = options;
        return openMysql(endpoint, logOptions);
      };
    },
  ],
  [
    'etcd',
    async () => {
      const { EtcdBackend } = await import('./etcd/index.js');
      return (endpoint, options) => {
        if (endpoint.driver !== 'etcd') throw new TypeError(`etcd driver got a ${endpoint.driver} endpoint`);
        return new EtcdBackend(endpoint, {
          ...(options.logger !== undefined ? { log: options.logger } : {}),
          ...(options.compactIntervalMs !== undefined ? { compactIntervalMs: options.compactIntervalMs } : {}),
          ...(options.compactRetain !== undefined ? { compactRetain: options.compactRetain } : {}),
        });
      };
    },
  ],
]);

/** Registers (or replaces) the driver for one endpoint kind. */
export function registerDriver(name: DatastoreEndpoint['driver'], load: Loader): void {
  drivers.set(name, load);
}

export function registeredDrivers(): DatastoreEndpoint['driver'][] {
  return [...drivers.keys()];
}

/** The Backend for `endpoint`, not started yet (call start()). */
export async function createBackend(endpoint: DatastoreEndpoint, options: OpenOptions): Promise<Backend> {
  const load = drivers.get(endpoint.driver);
  if (!load) {
    throw new DatastoreOpenError(
      `the ${endpoint.driver} datastore driver is not available in this build; available: ${registeredDrivers().join(', ')} (leave --datastore-endpoint unset for the embedded SQLite)`,
    );
  }
  const factory = await load();
  return factory(endpoint, options);
}

/** The Backend for `endpoint`, started (schema created, compaction and lease expiry running). */
export async function openBackend(endpoint: DatastoreEndpoint, options: OpenOptions): Promise<Backend> {
  const backend = await createBackend(endpoint, options);
  try {
    await backend.start();
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw err;
  }
  return backend;
}
