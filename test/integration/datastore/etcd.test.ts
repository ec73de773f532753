/** The shared datastore behavioural suite against a real etcd 3.4, opened through the registry. */
import { after, before } from 'node:test';
import { openBackend, parseEndpoint } from '../../../src/datastore/index.js';
import { logger } from '../../../src/log/index.js';
import { backendSuite } from '../../helpers/datastore-suite.js';
import { startEtcd, type EtcdServer } from '../../helpers/db-servers.js';
import { tempDir } from '../../helpers/index.js';

let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd.stop());

backendSuite('etcd', (t) => openBackend(parseEndpoint(etcd.endpoint), { dataDir: tempDir(t), logger: logger('test').child({}, { level: 'silent' }) }));
