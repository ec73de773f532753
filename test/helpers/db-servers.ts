/**
 * Real database servers for the external-datastore tests and benchmarks: PostgreSQL 15, MariaDB
 * and etcd 3.4 from the Debian packages, each started in a fresh temp dir on loopback ports from
 * freePort(), tracked by PID, and removed (process killed, then the dir) by `stop()` or by the
 * cleanup of the test/suite that started it. Starting one takes ~1-3 s, so a test file starts
 * one server in `before()` and gives each test its own database (createDatabase) or key prefix.
 *
 *   const pg = await startPostgres({ after });           // node:test's file-level after()
 *   const db = await pg.createDatabase();                // fresh, empty database
 *   const endpoint = pg.endpoint(db);                    // postgres://k3s:...@127.0.0.1:P/db?sslmode=disable
 *
 * Benchmarks pass no cleanup and call stop() themselves.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, spawnTracked, waitFor, type Tracked } from './index.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface ServerOptions {
  /**
   * Durable writes (fsync on commit). Off by default: tests measure behaviour, not disks. The
   * benchmark turns it on so the comparison with etcd (which always fsyncs) is fair.
   */
  readonly durable?: boolean;
  /** Listen on this port (a test that starts the server where a client is already dialing). */
  readonly port?: number;
  /** The test user's password (random by default). */
  readonly password?: string;
}

/** A started server; `stop()` is idempotent and also runs from the cleanup it was given. */
export interface DbServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface SqlServer extends DbServer {
  readonly user: string;
  readonly password: string;
  /** Creates an empty database (a random name unless given) the test user owns. */
  createDatabase(name?: string): Promise<string>;
  /** The --datastore-endpoint for `database` with the test user's credentials. */
  endpoint(database: string): string;
  /** Runs SQL as the superuser (for tests that inspect or sabotage tables). */
  sql(statement: string, database?: string): Promise<string>;
  /** MariaDB: its unix socket (for mysql://user:pass@unix(<socket>)/db). */
  readonly socket?: string;
  /** When started with TLS: the CA that signed the server certificate. */
  readonly tls?: { readonly caFile: string };
  /** Stops the server abruptly (a crash), waits `downMs`, and starts it again on the same data and port. */
  restart?(downMs?: number): Promise<void>;
}

export interface EtcdServer extends DbServer {
  /** http(s)://127.0.0.1:port */
  readonly endpoint: string;
  /** Present when started with tls: the files for --datastore-cafile/certfile/keyfile. */
  readonly tls: { readonly caFile: string; readonly certFile: string; readonly keyFile: string } | undefined;
  /** Runs the real etcdctl against this server; returns stdout. */
  etcdctl(args: readonly string[]): Promise<string>;
  /** Kills etcd with SIGKILL, waits `downMs`, and starts it again on the same data and ports. */
  restart(downMs?: number): Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A collector of cleanups run in reverse order by `stop()`: the process must be gone before its
 * data dir is removed, which node:test's after() (first registered, first run) would not give.
 */
class Stack implements Cleanup {
  readonly #fns: (() => unknown)[] = [];
  #stopped: Promise<void> | undefined;
  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      for (const fn of this.#fns.reverse()) {
        try {
          await fn();
        } catch {
          // best effort: keep cleaning the rest
        }
      }
    })();
    return this.#stopped;
  }
}

function makeDir(stack: Stack, prefix: string, owner?: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  stack.after(() => rmSync(dir, { recursive: true, force: true }));
  if (owner !== undefined) {
    const uid = Number(execFileSync('id', ['-u', owner]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', owner]).toString().trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

async function mustRun(what: string, command: string, args: readonly string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

function watchExit(tracked: Tracked, what: string): { check(): void } {
  let exitCode: number | undefined;
  void tracked.exited.then((code) => (exitCode = code));
  return {
    check(): void {
      if (exitCode !== undefined) throw new Error(`${what} exited with ${exitCode} before it was ready:\n${tracked.output()}`);
    },
  };
}

function finish<T extends DbServer>(stack: Stack, cleanup: Cleanup | undefined, server: Omit<T, 'stop'>): T {
  const stop = (): Promise<void> => stack.stop();
  cleanup?.after(stop);
  return { ...server, stop } as T;
}

async function guarded<T>(stack: Stack, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

// ---- PostgreSQL ----------------------------------------------------------------------------

/** PostgreSQL 15 as the `postgres` system user (it refuses to run as root), password auth on TCP. */
export interface PostgresOptions extends ServerOptions {
  /** Also accept TLS with a certificate for 127.0.0.1/localhost from a fresh CA (`tls.caFile`). Postgres and MariaDB. */
  readonly tls?: boolean;
}

/** PostgreSQL 15 as the `postgres` system user (it refuses to run as root), password auth on TCP. */
export async function startPostgres(cleanup?: Cleanup, options: PostgresOptions = {}): Promise<SqlServer> {
  const stack = new Stack();
  return guarded(stack, async () => {
    const dir = makeDir(stack, 'k3s-pg-', 'postgres');
    const data = join(dir, 'data');
    const pwfile = join(dir, 'pw');
    const password = options.password ?? randomBytes(9).toString('base64url');
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
    chownSync(pwfile, uid, gid);
    const asPostgres = ['-u', 'postgres', '--'];
    await mustRun('initdb', 'runuser', [...asPostgres, `${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'], { cwd: dir });
    let tlsArgs: string[] = [];
    let caFile: string | undefined;
    if (options.tls === true) {
      const certs = await makeTestCerts(dir);
      for (const f of [certs.serverCert, certs.serverKey]) chownSync(f, uid, gid);
      tlsArgs = ['-c', 'ssl=on', '-c', `ssl_cert_file=${certs.serverCert}`, '-c', `ssl_key_file=${certs.serverKey}`];
      caFile = certs.caFile;
    }
    const port = options.port ?? (await freePort());
    // fsync=off survives a crash of postgres itself (WAL writes reach the OS before a commit is
    // acknowledged), not of the machine: right for tests, which restart postgres but not the host.
    const durability = options.durable === true ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off'];
    const user = 'k3s';
    // The test user exists before the server listens, so a client dialing early never sees a
    // server without it (single-user mode runs before any connection is accepted).
    await mustRun('postgres --single', 'runuser', [...asPostgres, `${PG_BIN}/postgres`, '--single', '-D', data, '-j', 'postgres'], {
      cwd: dir,
      input: `CREATE ROLE ${user} LOGIN PASSWORD '${password}' CREATEDB;\n`,
    });
    const psql = (statement: string, database = 'postgres'): Promise<string> =>
      mustRun('psql', 'runuser', [...asPostgres, `${PG_BIN}/psql`, '-h', dir, '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement], { cwd: dir });
    // The postmaster itself as the postgres user (no runuser in between), so signals reach it.
    const launch = async (): Promise<Tracked> => {
      const tracked = spawnTracked(stack, `${PG_BIN}/postgres`, ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...durability, ...tlsArgs], { cwd: dir, uid, gid, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      const exit = watchExit(tracked, 'postgres');
      await waitFor('postgres to accept connections', async () => {
        exit.check();
        return (await run('runuser', [...asPostgres, `${PG_BIN}/pg_isready`, '-h', '127.0.0.1', '-p', String(port)], { cwd: dir })).code === 0;
      }, 30_000, 50);
      return tracked;
    };
    let tracked = await launch();
    return finish<SqlServer>(stack, cleanup, {
      host: '127.0.0.1',
      port,
      pid: tracked.child.pid ?? 0,
      user,
      password,
      output: () => tracked.output(),
      async createDatabase(name = randomName('k3s')): Promise<string> {
        await psql(`CREATE DATABASE "${name}" OWNER ${user}`);
        return name;
      },
      endpoint: (database) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}?sslmode=disable`,
      sql: psql,
      ...(caFile !== undefined ? { tls: { caFile } } : {}),
      async restart(downMs = 0): Promise<void> {
        // SIGQUIT: immediate shutdown, no checkpoint (crash recovery on the next start).
        tracked.child.kill('SIGQUIT');
        await tracked.exited;
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        tracked = await launch();
      },
    });
  });
}

// ---- MariaDB -------------------------------------------------------------------------------

/** MariaDB (mariadbd) as the `mysql` system user, TCP on loopback plus a socket in its temp dir. */
export async function startMariadb(cleanup?: Cleanup, options: PostgresOptions = {}): Promise<SqlServer> {
  const stack = new Stack();
  return guarded(stack, async () => {
    const dir = makeDir(stack, 'k3s-mysql-', 'mysql');
    const data = join(dir, 'data');
    const socket = join(dir, 'mysqld.sock');
    const password = options.password ?? randomBytes(9).toString('base64url');
    await mustRun('mariadb-install-db', 'mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], { cwd: dir, timeoutMs: 120_000 });
    const port = options.port ?? (await freePort());
    const durability = options.durable === true ? ['--innodb-flush-log-at-trx-commit=1', '--sync-binlog=1'] : ['--innodb-flush-log-at-trx-commit=2', '--innodb-doublewrite=0'];
    // The test user is created by the server itself at start-up (--init-file), before it
    // accepts connections, so a client dialing early never sees a server without it.
    const user = 'k3s';
    const initFile = join(dir, 'init.sql');
    writeFileSync(initFile, `CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}';\nGRANT ALL PRIVILEGES ON *.* TO '${user}'@'%';\n`, { mode: 0o600 });
    chownSync(initFile, Number(execFileSync('id', ['-u', 'mysql']).toString().trim()), 0);
    let tlsArgs: string[] = [];
    let caFile: string | undefined;
    if (options.tls === true) {
      const certs = await makeTestCerts(dir);
      const uid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
      for (const f of [certs.serverCert, certs.serverKey, certs.caFile]) chownSync(f, uid, gid);
      tlsArgs = [`--ssl-ca=${certs.caFile}`, `--ssl-cert=${certs.serverCert}`, `--ssl-key=${certs.serverKey}`];
      caFile = certs.caFile;
    }
    const mysql = (statement: string, database?: string): Promise<string> =>
      mustRun('mariadb', 'mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', ...(database !== undefined ? [database] : []), '-e', statement]);
    const launch = async (): Promise<Tracked> => {
      const tracked = spawnTracked(stack, '/usr/sbin/mariadbd', [
        '--no-defaults',
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--user=mysql',
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        '--max-connections=300',
        `--init-file=${initFile}`,
        ...durability,
        ...tlsArgs,
      ], { cwd: dir });
      const exit = watchExit(tracked, 'mariadbd');
      await waitFor('mariadbd to accept connections', async () => {
        exit.check();
        return existsSync(socket) && (await run('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', 'SELECT 1'])).code === 0;
      }, 60_000, 100);
      return tracked;
    };
    let tracked = await launch();
    return finish<SqlServer>(stack, cleanup, {
      host: '127.0.0.1',
      port,
      pid: tracked.child.pid ?? 0,
      user,
      password,
      output: () => tracked.output(),
      async createDatabase(name = randomName('k3s')): Promise<string> {
        await mysql(`CREATE DATABASE \`${name}\``);
        return name;
      },
      async restart(downMs = 0): Promise<void> {
        tracked.child.kill('SIGKILL');
        await tracked.exited;
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        tracked = await launch();
      },
      endpoint: (database) => `mysql://${user}:${password}@tcp(127.0.0.1:${port})/${database}`,
      socket,
      ...(caFile !== undefined ? { tls: { caFile } } : {}),
      sql: mysql,
    });
  });
}

// ---- etcd ----------------------------------------------------------------------------------

export interface EtcdOptions extends ServerOptions {
  /** Serve clients over TLS with a fresh CA, requiring client certificates signed by it. */
  readonly tls?: boolean;
}

/** A single-member etcd 3.4 cluster on loopback. etcd 3.4 always fsyncs (it has no switch to skip it). */
export async function startEtcd(cleanup?: Cleanup, options: EtcdOptions = {}): Promise<EtcdServer> {
  const stack = new Stack();
  return guarded(stack, async () => {
    const dir = makeDir(stack, 'k3s-etcd-');
    const clientPort = options.port ?? (await freePort());
    const peerPort = await freePort();
    const tls = options.tls === true ? await makeTestCerts(dir) : undefined;
    const scheme = tls !== undefined ? 'https' : 'http';
    const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const tlsArgs = tls !== undefined ? ['--cert-file', tls.serverCert, '--key-file', tls.serverKey, '--client-cert-auth', '--trusted-ca-file', tls.caFile] : [];
    const tlsFlags = tls !== undefined ? ['--cacert', tls.caFile, '--cert', tls.clientCert, '--key', tls.clientKey] : [];
    const etcdctl = (args: readonly string[]): Promise<string> =>
      mustRun(`etcdctl ${args.join(' ')}`, 'etcdctl', ['--endpoints', clientUrl, ...tlsFlags, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    // Same data dir and ports every time, so restart() brings the same member back.
    const launch = async (): Promise<Tracked> => {
      const tracked = spawnTracked(stack, 'etcd', [
        '--name', 'test',
        '--data-dir', join(dir, 'data'),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `test=${peerUrl}`,
        '--initial-cluster-state', 'new',
        ...tlsArgs,
      ], { cwd: dir, env: { ...process.env, ...(process.arch === 'x64' ? {} : { ETCD_UNSUPPORTED_ARCH: process.arch }) } });
      const exit = watchExit(tracked, 'etcd');
      await waitFor('etcd to accept clients', async () => {
        exit.check();
        return (await run('etcdctl', ['--endpoints', clientUrl, ...tlsFlags, '--command-timeout=2s', 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } })).code === 0;
      }, 30_000, 100);
      return tracked;
    };
    let tracked = await launch();
    const restart = async (downMs = 0): Promise<void> => {
      tracked.child.kill('SIGKILL');
      await tracked.exited;
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      tracked = await launch();
    };
    return finish<EtcdServer>(stack, cleanup, {
      host: '127.0.0.1',
      port: clientPort,
      pid: tracked.child.pid ?? 0,
      endpoint: clientUrl,
      tls: tls !== undefined ? { caFile: tls.caFile, certFile: tls.clientCert, keyFile: tls.clientKey } : undefined,
      output: () => tracked.output(),
      etcdctl,
      restart,
    });
  });
}

interface TestCerts {
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA with a server certificate for 127.0.0.1/localhost and a client certificate (real openssl). */
async function makeTestCerts(dir: string): Promise<TestCerts> {
  const p = (name: string): string => join(dir, name);
  const ssl = (args: readonly string[]): Promise<string> => mustRun(`openssl ${args[0] ?? ''}`, 'openssl', args, { cwd: dir });
  await ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=k3s-test-ca']);
  const leaf = async (name: string, cn: string, ext: string): Promise<void> => {
    writeFileSync(p(`${name}.ext`), ext);
    await ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await ssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`)]);
  };
  await leaf('server', 'test-server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'k3s-client', 'extendedKeyUsage=clientAuth\n');
  return { caFile: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}
