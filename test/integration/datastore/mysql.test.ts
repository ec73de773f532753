/** The shared datastore behavioural suite against a real MariaDB, opened through the registry. */
import { after, before } from 'node:test';
import { openBackend, parseEndpoint } from '../../../src/datastore/index.js';
import { logger } from '../../../src/log/index.js';
import { backendSuite } from '../../helpers/datastore-suite.js';
import { startMariadb, type SqlServer } from '../../helpers/db-servers.js';
import { tempDir } from '../../helpers/index.js';

let server: SqlServer;
let database: string;
before(async () => {
  server = await startMariadb();
  database = await server.createDatabase();
});
after(() => server.stop());

// Every test opens its own Backend on the same database, as several k3s servers would.
backendSuite('mysql', (t) => openBackend(parseEndpoint(server.endpoint(database)), { dataDir: tempDir(t), logger: logger('test').child({}, { level: 'silent' }) }));
