import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { buildConfig, type BuildInput, type Config, type RawSettings, type Role } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/index.js';

interface Setup {
  home: string;
  files?: Record<string, string>;
  cli?: Record<string, string | number | boolean | string[]>;
  env?: Record<string, string>;
  uid?: number;
  role?: Role;
}

/** Writes `files` (paths relative to home) and builds the Config a user with that home would get. */
function build(s: Setup): Config {
  for (const [path, text] of Object.entries(s.files ?? {})) {
    const full = join(s.home, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  const cli: RawSettings = new Map(Object.entries(s.cli ?? {}).map(([k, v]) => [k, { value: v, append: false, origin: `command-line flag --${k}` }]));
  const input: BuildInput = { role: s.role ?? 'server', cli, env: s.env ?? {}, uid: s.uid ?? 1000, home: s.home, hostname: 'Node-1.example' };
  return buildConfig(input);
}

const USER_CONFIG = '.config/k3s/config.yaml';
const DROP_INS = '.config/k3s/config.yaml.d';

test('root defaults are upstream\'s paths, ports and networks', (t) => {
  const home = tempDir(t);
  writeFileSync(join(home, 'empty.yaml'), '');
  const c = build({ home, uid: 0, cli: { config: join(home, 'empty.yaml') } });
  assert.equal(c.dataDir, '/var/lib/rancher/k3s');
  assert.deepEqual(c.kubeconfig, { path: '/etc/rancher/k3s/k3s.yaml', mode: 0o600 });
  assert.equal(c.listener.httpsPort, 6443);
  assert.equal(c.listener.bindAddress, '0.0.0.0');
  assert.deepEqual(c.cluster, {
    clusterCidrs: ['10.42.0.0/16'],
    serviceCidrs: ['10.43.0.0/16'],
    clusterDns: ['10.43.0.10'],
    clusterDomain: 'cluster.local',
    nodePortRange: { min: 30000, max: 32767 },
  });
  assert.equal(c.nodeName, 'node-1.example');
  assert.equal(c.rootless, false);
  assert.equal(c.token, undefined);
  assert.deepEqual(c.configFiles, [join(home, 'empty.yaml')]);
});

test('a user (rootless or not) gets per-user paths and reads ~/.config/k3s/config.yaml', (t) => {
  const home = tempDir(t);
  const c = build({ home, cli: { rootless: true }, files: { [USER_CONFIG]: 'node-name: from-file\n' } });
  assert.equal(c.dataDir, join(home, '.rancher/k3s'));
  assert.equal(c.kubeconfig.path, join(home, '.kube/k3s.yaml'));
  assert.equal(c.rootlessSettings.stateDir, join(home, '.rancher/k3s/rootless'));
  assert.deepEqual(c.configFiles, [join(home, USER_CONFIG)]);
  assert.equal(c.nodeName, 'from-file');
  assert.equal(c.rootless, true);
});

test('--rootless as root is refused with what to do instead', (t) => {
  assert.throws(() => build({ home: tempDir(t), uid: 0, cli: { rootless: true, config: '/dev/null' } }), /--rootless cannot run as root: run k3s server --rootless as the unprivileged user/);
});

test('precedence: flag > K3S_* variable > config.yaml.d (lexical) > config.yaml > default', (t) => {
  const home = tempDir(t);
  const files = {
    [USER_CONFIG]: 'node-name: main\nwrite-kubeconfig-mode: "0640"\nhttps-listen-port: 7000\ncluster-domain: main.local\n',
    [`${DROP_INS}/10-a.yaml`]: 'node-name: ten\nhttps-listen-port: 7010\n',
    [`${DROP_INS}/9-c.yaml`]: 'node-name: nine\n',
    [`${DROP_INS}/20-b.yml`]: 'node-name: twenty\nhttps-listen-port: 7020\n',
  };
  // "9-c" sorts after "20-b": lexical, not numeric, order.
  const fromFiles = build({ home, files });
  assert.equal(fromFiles.nodeName, 'nine');
  assert.equal(fromFiles.listener.httpsPort, 7020);
  assert.equal(fromFiles.cluster.clusterDomain, 'main.local');
  assert.equal(fromFiles.kubeconfig.mode, 0o640);
  assert.deepEqual(fromFiles.configFiles, [join(home, USER_CONFIG), ...['10-a.yaml', '20-b.yml', '9-c.yaml'].map((f) => join(home, DROP_INS, f))]);

  const fromEnv = build({ home, env: { K3S_NODE_NAME: 'env', K3S_KUBECONFIG_MODE: '0644' } });
  assert.equal(fromEnv.nodeName, 'env');
  assert.equal(fromEnv.kubeconfig.mode, 0o644);
  assert.equal(fromEnv.listener.httpsPort, 7020);

  const fromFlag = build({ home, env: { K3S_NODE_NAME: 'env' }, cli: { 'node-name': 'flag', 'https-listen-port': 8443 } });
  assert.equal(fromFlag.nodeName, 'flag');
  assert.equal(fromFlag.listener.httpsPort, 8443);
});

test('drop-ins that are not YAML, or are directories, are ignored', (t) => {
  const home = tempDir(t);
  mkdirSync(join(home, DROP_INS, 'sub.yaml'), { recursive: true });
  const c = build({ home, files: { [`${DROP_INS}/01.YAML`]: 'node-name: upper\n', [`${DROP_INS}/02.txt`]: 'not: yaml: at all: [' } });
  assert.equal(c.nodeName, 'upper');
  assert.deepEqual(c.configFiles, [join(home, DROP_INS, '01.YAML')]);
});

test('--config FILE reads FILE.d/ beside it, and a missing FILE named by flag or K3S_CONFIG_FILE is an error', (t) => {
  const home = tempDir(t);
  const c = build({ home, cli: { config: join(home, 'etc/k3s.yaml') }, files: { 'etc/k3s.yaml': 'node-name: base\n', 'etc/k3s.yaml.d/1.yaml': 'node-name: dropin\n' } });
  assert.equal(c.nodeName, 'dropin');
  assert.throws(() => build({ home, cli: { config: join(home, 'nope.yaml') } }), new RegExp(`config file ${join(home, 'nope.yaml')} \\(set by command-line flag --config\\) does not exist`));
  assert.throws(() => build({ home, env: { K3S_CONFIG_FILE: join(home, 'nope.yaml') } }), /\(set by environment variable K3S_CONFIG_FILE\) does not exist/);
});

test('"key+:" appends to what earlier files set; a plain key replaces it', (t) => {
  const home = tempDir(t);
  const files = {
    [USER_CONFIG]: 'tls-san:\n  - a.example\n',
    [`${DROP_INS}/1.yaml`]: 'tls-san+:\n  - b.example\n',
    [`${DROP_INS}/2.yaml`]: 'tls-san+: c.example,d.example\n',
  };
  assert.deepEqual(build({ home, files }).listener.tlsSans, ['a.example', 'b.example', 'c.example', 'd.example']);
  writeFileSync(join(home, DROP_INS, '3.yaml'), 'tls-san: [e.example]\n');
  assert.deepEqual(build({ home }).listener.tlsSans, ['e.example']);
});

test('"key+:" with nothing before it just sets the value', (t) => {
  const home = tempDir(t);
  assert.deepEqual(build({ home, files: { [USER_CONFIG]: 'disable+: [traefik]\n' } }).components.disabled, new Set(['traefik']));
});

test('"key+:" on a flag that is not a list or string is an error naming the key and the file', (t) => {
  const home = tempDir(t);
  const file = join(home, USER_CONFIG);
  assert.throws(() => build({ home, files: { [USER_CONFIG]: 'https-listen-port+: 1\n' } }), (err: Error) => err.message.includes('"https-listen-port+"') && err.message.includes(file) && /appends only to list or string flags/.test(err.message));
});

test('an unknown key is an error naming the key and the file', (t) => {
  const home = tempDir(t);
  const file = join(home, DROP_INS, '5-extra.yaml');
  assert.throws(
    () => build({ home, files: { [USER_CONFIG]: 'node-name: ok\n', [`${DROP_INS}/5-extra.yaml`]: 'tls-sans: [x]\n' } }),
    (err: Error) => err.name === 'ConfigError' && err.message === `unknown key "tls-sans" in config file ${file}: it is not a k3s flag (see docs/configuration.md)`,
  );
});

test('keys for the other command are ignored, so one file serves server and agent', (t) => {
  const home = tempDir(t);
  const c = build({ home, role: 'agent', files: { [USER_CONFIG]: 'cluster-cidr: 10.99.0.0/16\nnode-name: worker\n' } });
  assert.equal(c.nodeName, 'worker');
  assert.equal(c.role, 'agent');
});

test('bad values in a config file are errors naming the key and the file', (t) => {
  const cases: [string, RegExp][] = [
    ['https-listen-port: abc\n', /config file .*config\.yaml key "https-listen-port": expected a whole number, got "abc"/],
    ['https-listen-port: 70000\n', /--https-listen-port \(config file .*config\.yaml key "https-listen-port"\): 70000 is not a TCP port/],
    ['debug: maybe\n', /key "debug": expected true or false, got "maybe"/],
    ['tls-san: {a: 1}\n', /key "tls-san": expected a string or a list of strings/],
    ['cluster-cidr: 10.42.0.1/16\n', /--cluster-cidr \(config file .*key "cluster-cidr"\): "10\.42\.0\.1\/16" has host bits set/],
    ['cluster-cidr: banana\n', /"banana" is not a CIDR/],
    ['service-cidr: [10.43.0.0/16, 10.44.0.0/16]\n', /two CIDRs must be one IPv4 and one IPv6/],
    ['cluster-dns: 10.99.0.10\n', /--cluster-dns .*10\.99\.0\.10 is outside the service CIDR 10\.43\.0\.0\/16/],
    ['disable: [traefik, kube-dns]\n', /--disable .*unknown component "kube-dns" \(valid: coredns, servicelb/],
    ['write-kubeconfig-mode: "0999"\n', /--write-kubeconfig-mode .*"0999" is not an octal file mode/],
    ['service-node-port-range: 32767-30000\n', /--service-node-port-range .*expected a range such as 30000-32767/],
    ['node-name: Not_Valid\n', /--node-name .*"not_valid" is not a valid node name/],
    ['bind-address: localhost\n', /--bind-address .*"localhost" is not an IP address/],
    ['etcd-listen-address: 2379\n', /--etcd-listen-address .*"2379" is not host:port/],
    ['- just\n- a list\n', /config file .*config\.yaml must be a YAML mapping of flag names to values/],
    ['node-name: a\nnode-name: b\n', /config file .*config\.yaml is not valid YAML: Map keys must be unique at line 2, column 1$/],
    ['node-name: [unclosed\n', /config file .*config\.yaml is not valid YAML/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => build({ home: tempDir(t), files: { [USER_CONFIG]: text } }), message, text);
  }
});

test('bad K3S_* values are errors naming the variable', (t) => {
  const home = tempDir(t);
  assert.throws(() => build({ home, env: { K3S_DEBUG: 'sometimes' } }), /environment variable K3S_DEBUG: expected true or false, got "sometimes"/);
  assert.throws(() => build({ home, env: { K3S_KUBECONFIG_MODE: 'rw' } }), /--write-kubeconfig-mode \(environment variable K3S_KUBECONFIG_MODE\): "rw" is not an octal file mode/);
});

test('write-kubeconfig-mode written as a YAML number means the octal digits', (t) => {
  assert.equal(build({ home: tempDir(t), files: { [USER_CONFIG]: 'write-kubeconfig-mode: 644\n' } }).kubeconfig.mode, 0o644);
  assert.equal(build({ home: tempDir(t), files: { [USER_CONFIG]: 'write-kubeconfig-mode: 0644\n' } }).kubeconfig.mode, 0o644);
});

test('list flags take comma-separated items in every source', (t) => {
  const home = tempDir(t);
  assert.deepEqual(build({ home, files: { [USER_CONFIG]: 'tls-san: "a.example, b.example"\n' } }).listener.tlsSans, ['a.example', 'b.example']);
  assert.deepEqual(build({ home, cli: { disable: ['traefik,servicelb', 'coredns'] } }).components.disabled, new Set(['traefik', 'servicelb', 'coredns']));
  const dual = build({ home, cli: { 'cluster-cidr': ['10.42.0.0/16,fd00:42::/56'], 'service-cidr': ['10.43.0.0/16', 'fd00:43::/112'] } });
  assert.deepEqual(dual.cluster.clusterCidrs, ['10.42.0.0/16', 'fd00:42::/56']);
  assert.deepEqual(dual.cluster.serviceCidrs, ['10.43.0.0/16', 'fd00:43::/112']);
});

test('flags that are not supported yet are rejected wherever they are set, naming where', (t) => {
  const home = tempDir(t);
  assert.throws(() => build({ home, cli: { 'cluster-init': true } }), /--cluster-init \(set by command-line flag --cluster-init\) is not supported yet by this k3s/);
  assert.throws(() => build({ home, env: { K3S_URL: 'https://10.0.0.1:6443' } }), /--server \(environment variable K3S_URL\): joining a server to an existing cluster is not supported yet/);
  assert.throws(() => build({ home, files: { [USER_CONFIG]: 'egress-selector-mode: pod\n' } }), new RegExp(`--egress-selector-mode \\(set by config file ${join(home, USER_CONFIG)} key "egress-selector-mode"\\) is not supported yet`));
});

test('an agent takes the server to join from --server or K3S_URL, as an https origin', (t) => {
  const home = tempDir(t);
  assert.equal(build({ home, role: 'agent', env: { K3S_URL: 'https://10.0.0.1:6443/' } }).agent.serverUrl, 'https://10.0.0.1:6443');
  assert.equal(build({ home, role: 'agent', cli: { server: 'https://server.example:6443' } }).agent.serverUrl, 'https://server.example:6443');
  assert.equal(build({ home, role: 'agent' }).agent.serverUrl, undefined);
  assert.throws(() => build({ home, role: 'agent', env: { K3S_URL: 'http://10.0.0.1:6443' } }), /--server \(environment variable K3S_URL\): "http:\/\/10\.0\.0\.1:6443" must be an https:\/\/ URL/);
  assert.throws(() => build({ home, role: 'agent', env: { K3S_URL: '10.0.0.1:6443' } }), /is not a URL such as https:\/\/10\.0\.0\.1:6443|must be an https:\/\/ URL/);
});

test('--token-file is read and trimmed; with --token, or empty, it is an error', (t) => {
  const home = tempDir(t);
  writeFileSync(join(home, 'token'), '  s3cret-token\n');
  writeFileSync(join(home, 'empty'), '\n');
  assert.equal(build({ home, cli: { 'token-file': join(home, 'token') } }).token?.reveal(), 's3cret-token');
  assert.throws(() => build({ home, cli: { 'token-file': join(home, 'token'), token: 'x' } }), /give either --token or --token-file, not both/);
  assert.throws(() => build({ home, cli: { 'token-file': join(home, 'empty') } }), /is empty/);
  assert.throws(() => build({ home, cli: { 'token-file': join(home, 'missing') } }), /--token-file .*cannot read/);
});

test('secrets never show: not in the serialized Config, not in errors about them', (t) => {
  const home = tempDir(t);
  const c = build({ home, env: { K3S_TOKEN: 'very-secret-token', K3S_DATASTORE_ENDPOINT: 'postgres://u:hunter2@db/k3s' } });
  assert.equal(c.token?.reveal(), 'very-secret-token');
  const serialized = JSON.stringify(c, (_k, v: unknown) => (v instanceof Set ? [...v] : v));
  assert.doesNotMatch(serialized, /very-secret-token|hunter2/);
  assert.throws(
    () => build({ home: tempDir(t), files: { [USER_CONFIG]: 'token: [very-secret-token]\n' } }),
    (err: Error) => /key "token": expected a string, got \(value hidden\)/.test(err.message) && !err.message.includes('very-secret-token'),
  );
});

test('~ in a path flag is the user\'s home', (t) => {
  const home = tempDir(t);
  assert.equal(build({ home, cli: { 'data-dir': '~/k3s-data' } }).dataDir, join(home, 'k3s-data'));
});

test('an empty config file is fine', (t) => {
  const home = tempDir(t);
  assert.equal(build({ home, files: { [USER_CONFIG]: '# nothing yet\n' } }).dataDir, join(home, '.rancher/k3s'));
});

test('K3S_ROOTLESS_* are read only when running rootless', (t) => {
  const home = tempDir(t);
  assert.equal(build({ home, env: { K3S_ROOTLESS_MTU: 'bad' } }).rootlessSettings.mtu, 1500);
  assert.throws(() => build({ home, cli: { rootless: true }, env: { K3S_ROOTLESS_MTU: 'bad' } }), /K3S_ROOTLESS_MTU="bad"/);
  assert.equal(build({ home, cli: { rootless: true }, env: { K3S_ROOTLESS_MTU: '9000' } }).rootlessSettings.mtu, 9000);
});
