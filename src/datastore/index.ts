/**
 * The datastore: a revisioned key-value log (Backend) with sqlite, postgres, mysql and etcd
 * drivers. Layers, each importing only the one below:
 *
 *   registry (openBackend)  ->  Backend  ->  sql/log (generic SQL log)  ->  Dialect + SqlExecutor  ->  sqlite/...
 *                                        \->  watch-hub (fan-out shared by every driver)
 *
 *   const store = await openBackend(parseEndpoint(config.datastoreEndpoint), { dataDir: config.dataDir });
 */
export * from './types.js';
export { parseEndpoint, describeEndpoint, redactEndpoint, type DatastoreEndpoint } from './endpoint.js';
export { openBackend, createBackend, registerDriver, registeredDrivers, type OpenOptions, type DriverFactory } from './registry.js';
export { SqlLog, LeaseExistsError, type SqlLogOptions } from './sql/log.js';
export type { Dialect, SqlExecutor, Program, Statement, StatementResult, SqlValue, Row, ErrorClass } from './sql/dialect.js';
export { WatchHub, type HistorySource } from './watch-hub.js';
export { inRange } from './keys.js';
