/** The shared datastore suite against the real SQLite driver (a fresh state.db per test). */
import { pino } from 'pino';
import { parseEndpoint } from '../../../src/datastore/endpoint.js';
import { openBackend } from '../../../src/datastore/registry.js';
import { backendSuite } from '../../helpers/datastore-suite.js';
import { tempDir } from '../../helpers/index.js';

const quiet = pino({ level: 'silent' });

backendSuite('sqlite', async (t) => openBackend(parseEndpoint(undefined), { dataDir: tempDir(t, 'k3s-ds-sqlite-'), leaseCheckIntervalMs: 200, logger: quiet }));
