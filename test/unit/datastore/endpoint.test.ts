import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, Secret } from '../../../src/config/index.js';
import { describeEndpoint, parseEndpoint, redactEndpoint, type DatastoreEndpoint } from '../../../src/datastore/endpoint.js';

function sql(endpoint: DatastoreEndpoint) {
  assert.ok(endpoint.driver === 'postgres' || endpoint.driver === 'mysql', `expected a SQL endpoint, got ${endpoint.driver}`);
  return endpoint;
}

/** Asserts parsing fails with a ConfigError matching `pattern` whose message never shows `secret`. */
function rejects(raw: string, pattern: RegExp, secret?: string, files = {}): void {
  assert.throws(
    () => parseEndpoint(raw, files),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.match(err.message, pattern);
      if (secret !== undefined) assert.ok(!err.message.includes(secret), `message leaks the password: ${err.message}`);
      return true;
    },
  );
}

describe('datastore endpoint: sqlite', () => {
  it('uses the embedded SQLite default when no endpoint is set', () => {
    assert.deepEqual(parseEndpoint(undefined), { driver: 'sqlite', path: undefined, params: {} });
    assert.deepEqual(parseEndpoint('  '), { driver: 'sqlite', path: undefined, params: {} });
  });

  it('takes absolute and relative paths and query parameters after sqlite://', () => {
    assert.deepEqual(parseEndpoint('sqlite:///var/lib/k3s/state.db?_journal=WAL&cache=shared'), {
      driver: 'sqlite',
      path: '/var/lib/k3s/state.db',
      params: { _journal: 'WAL', cache: 'shared' },
    });
    assert.deepEqual(parseEndpoint('sqlite://db/state.db'), { driver: 'sqlite', path: 'db/state.db', params: {} });
    assert.deepEqual(parseEndpoint('sqlite://'), { driver: 'sqlite', path: undefined, params: {} });
  });

  it('rejects a bare path instead of silently using the default file, and suggests sqlite://', () => {
    rejects('/var/lib/state.db', /no scheme; write sqlite:\/\/\/var\/lib\/state\.db/);
  });
});

describe('datastore endpoint: postgres', () => {
  it('parses user, password, host, port, database and sslmode', () => {
    const ep = sql(parseEndpoint('postgres://k3s:s3cret@db.example.com:6543/cluster?sslmode=disable'));
    assert.equal(ep.driver, 'postgres');
    assert.equal(ep.user, 'k3s');
    assert.equal(ep.password?.reveal(), 's3cret');
    assert.equal(ep.host, 'db.example.com');
    assert.equal(ep.port, 6543);
    assert.equal(ep.database, 'cluster');
    assert.deepEqual(ep.tls, { mode: 'disable' });
  });

  it('accepts postgresql:// and fills upstream defaults (port 5432, database "kubernetes")', () => {
    const ep = sql(parseEndpoint('postgresql://u:p@10.0.0.5/'));
    assert.equal(ep.driver, 'postgres');
    assert.equal(ep.port, 5432);
    assert.equal(ep.database, 'kubernetes');
  });

  it('uses upstream\'s default DSN for a bare postgres://', () => {
    const ep = sql(parseEndpoint('postgres://'));
    assert.equal(ep.host, 'localhost');
    assert.equal(ep.user, 'postgres');
    assert.equal(ep.password?.reveal(), 'postgres');
    assert.equal(ep.database, 'kubernetes');
  });

  it('percent-decodes user and password and takes IPv6 hosts', () => {
    const ep = sql(parseEndpoint('postgres://us%40er:p%2Fa%3Fss@[::1]:5433/db'));
    assert.equal(ep.user, 'us@er');
    assert.equal(ep.password?.reveal(), 'p/a?ss');
    assert.equal(ep.host, '::1');
    assert.equal(ep.port, 5433);
  });

  it('turns --datastore-* files into verify-full TLS, with ssl* parameters taking precedence', () => {
    const ep = sql(parseEndpoint('postgres://u:p@h/db', { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' }));
    assert.deepEqual(ep.tls, { mode: 'verify-full', caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
    const over = sql(parseEndpoint('postgres://u:p@h/db?sslmode=verify-ca&sslrootcert=/other.pem', { caFile: '/ca.pem' }));
    assert.deepEqual(over.tls, { mode: 'verify-ca', caFile: '/other.pem' });
    assert.deepEqual(sql(parseEndpoint('postgres://u:p@h/db?sslmode=require')).tls, { mode: 'require' });
  });

  it('takes connect_timeout in seconds', () => {
    assert.equal(sql(parseEndpoint('postgres://u:p@h/db?connect_timeout=7')).connectTimeoutMs, 7000);
  });

  it('rejects what it cannot honour, naming the problem', () => {
    rejects('postgres://u:hunter2@h/db?sslmode=prefer', /sslmode "prefer" is not supported.*cannot fall back/, 'hunter2');
    rejects('postgres://u:hunter2@h/db?pool_max=3', /unsupported parameter "pool_max"/, 'hunter2');
    rejects('postgres://u:hunter2@h:99999/db', /not a valid URL \(check the host and port/, 'hunter2');
    rejects('postgres://u:hunter2@h/db?port=0', /port "0" is not a number between 1 and 65535/, 'hunter2');
    rejects('postgres://u:hunter2@h/db', /both a certificate file and a key file/, 'hunter2', { certFile: '/c.pem' });
  });
});

describe('datastore endpoint: mysql', () => {
  it('parses the Go driver DSN form upstream documents', () => {
    const ep = sql(parseEndpoint('mysql://k3s:pa:ss@word@tcp(db.local:3307)/cluster'));
    assert.equal(ep.driver, 'mysql');
    assert.equal(ep.user, 'k3s');
    // go-sql-driver: the password runs from the first ":" to the last "@", taken literally.
    assert.equal(ep.password?.reveal(), 'pa:ss@word');
    assert.equal(ep.host, 'db.local');
    assert.equal(ep.port, 3307);
    assert.equal(ep.socketPath, undefined);
    assert.equal(ep.database, 'cluster');
  });

  it('fills defaults: port 3306, database "kubernetes", 127.0.0.1 for tcp()', () => {
    const ep = sql(parseEndpoint('mysql://root:x@tcp()/'));
    assert.equal(ep.host, '127.0.0.1');
    assert.equal(ep.port, 3306);
    assert.equal(ep.database, 'kubernetes');
    const noPort = sql(parseEndpoint('mysql://root:x@tcp(db)/k'));
    assert.equal(noPort.port, 3306);
  });

  it('takes unix sockets and upstream\'s default local socket for a bare mysql://', () => {
    const ep = sql(parseEndpoint('mysql://root@unix(/run/mysqld/mysqld.sock)/k3s'));
    assert.equal(ep.socketPath, '/run/mysqld/mysqld.sock');
    assert.equal(ep.host, undefined);
    assert.equal(ep.password, undefined);
    const bare = sql(parseEndpoint('mysql://'));
    assert.equal(bare.socketPath, '/var/run/mysqld/mysqld.sock');
    assert.equal(bare.user, 'root');
    assert.equal(bare.database, 'kubernetes');
    const bareTls = sql(parseEndpoint('mysql://', { caFile: '/ca.pem' }));
    assert.equal(bareTls.host, '127.0.0.1');
    assert.equal(bareTls.tls.mode, 'verify-full');
  });

  it('also accepts the URL form mysql://user:pass@host:port/db, percent-decoded', () => {
    const ep = sql(parseEndpoint('mysql://me:p%40ss@10.1.2.3:3308/db'));
    assert.equal(ep.user, 'me');
    assert.equal(ep.password?.reveal(), 'p@ss');
    assert.equal(ep.host, '10.1.2.3');
    assert.equal(ep.port, 3308);
  });

  it('maps the tls parameter and --datastore-* files to a TLS mode', () => {
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d?tls=skip-verify')).tls.mode, 'require');
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d?tls=true')).tls.mode, 'verify-full');
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d', { caFile: '/ca' })).tls.mode, 'verify-full');
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d')).tls.mode, 'disable');
  });

  it('takes a Go duration timeout', () => {
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d?timeout=1m30s')).connectTimeoutMs, 90_000);
    assert.equal(sql(parseEndpoint('mysql://u:p@tcp(h)/d?timeout=250ms')).connectTimeoutMs, 250);
  });

  it('rejects malformed DSNs without showing the password', () => {
    rejects('mysql://u:topsecret@tcp(h:3306)', /missing "\/" before the database name/, 'topsecret');
    rejects('mysql://u:topsecret@tcp(h:3306/db', /unbalanced parentheses|missing/, 'topsecret');
    rejects('mysql://u:topsecret@udp(h)/db', /unsupported network "udp"/, 'topsecret');
    rejects('mysql://u:topsecret@tcp(h)/db?tls=preferred', /tls "preferred" is not supported/, 'topsecret');
    rejects('mysql://u:topsecret@tcp(h)/db?interpolateParams=true', /unsupported parameter "interpolateParams"/, 'topsecret');
    rejects('mysql://u:topsecret@tcp(h)/db?charset=latin1', /charset "latin1"/, 'topsecret');
  });
});

describe('datastore endpoint: etcd', () => {
  it('parses one or several comma-separated members', () => {
    assert.deepEqual(parseEndpoint('http://127.0.0.1:2379'), {
      driver: 'etcd',
      members: [{ scheme: 'http', host: '127.0.0.1', port: 2379 }],
      tls: undefined,
    });
    const ep = parseEndpoint('https://e1:2379, https://e2:22379,https://[fd00::1]', { caFile: '/ca', certFile: '/c', keyFile: '/k' });
    assert.equal(ep.driver, 'etcd');
    assert.deepEqual(ep.members, [
      { scheme: 'https', host: 'e1', port: 2379 },
      { scheme: 'https', host: 'e2', port: 22379 },
      { scheme: 'https', host: 'fd00::1', port: 2379 },
    ]);
    assert.deepEqual(ep.tls, { caFile: '/ca', certFile: '/c', keyFile: '/k' });
  });

  it('rejects mixed schemes, paths, credentials and TLS files on http', () => {
    rejects('http://a:2379,https://b:2379', /mix http:\/\/ and https:\/\//);
    rejects('http://a:2379/v3', /no path or query/);
    rejects('https://root:pw@a:2379', /credentials in an etcd URL/, 'pw@');
    rejects('http://a:2379', /use https:\/\//, undefined, { caFile: '/ca' });
    rejects('http://a:2379,', /empty member/);
  });
});

describe('datastore endpoint: errors and redaction', () => {
  it('rejects unknown schemes, listing the supported forms', () => {
    rejects('nats://u:natspw@n:4222', /unsupported scheme "nats"; supported forms: sqlite:\/\//, 'natspw');
  });

  it('redacts passwords in every form, including unparseable ones', () => {
    assert.equal(redactEndpoint('postgres://u:pw@h:5432/db'), 'postgres://u:***@h:5432/db');
    assert.equal(redactEndpoint('mysql://u:p@ss:w@rd@tcp(h:3306)/db'), 'mysql://u:***@tcp(h:3306)/db');
    assert.equal(redactEndpoint('postgres://u@h/db?password=pw&sslmode=disable'), 'postgres://u@h/db?password=***&sslmode=disable');
    assert.equal(redactEndpoint('garbage:pw@'), 'garbage:***@');
    assert.equal(redactEndpoint('http://a:2379,https://u:pw@b:2379'), 'http://a:2379,https://u:***@b:2379');
  });

  it('accepts the Config Secret and never shows the password in descriptions or inspection', () => {
    const ep = parseEndpoint(new Secret('postgres://u:pw123@h:5432/db'));
    const text = describeEndpoint(ep) + inspect(ep, { depth: 5 }) + JSON.stringify(ep);
    assert.ok(!text.includes('pw123'), text);
    assert.equal(describeEndpoint(ep), 'postgres u@h:5432/db');
  });
});
