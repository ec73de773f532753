import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { declareFlags, readCliFlags } from '../../../src/cli/flags-to-commander.js';
import type { Role } from '../../../src/config/index.js';

function parse(role: Role, args: string[]) {
  const command = declareFlags(new Command(role).exitOverride().configureOutput({ writeErr: () => {} }), role).action(() => {});
  command.parse(args, { from: 'user' });
  return readCliFlags(command, role);
}

test('repeated and comma-separated list flags collect every item', () => {
  const flags = parse('server', ['--tls-san', 'a.example,b.example', '--tls-san', 'c.example', '--disable=traefik']);
  assert.deepEqual(flags.get('tls-san')?.value, ['a.example', 'b.example', 'c.example']);
  assert.deepEqual(flags.get('disable')?.value, ['traefik']);
  assert.equal(flags.get('tls-san')?.origin, 'command-line flag --tls-san');
});

test('only flags the user gave are read, so defaults do not shadow env or files', () => {
  const flags = parse('server', ['--debug']);
  assert.deepEqual([...flags.keys()], ['debug']);
  assert.equal(flags.get('debug')?.value, true);
});

test('bool flags take an optional value; short forms work', () => {
  const flags = parse('server', ['--rootless=false', '-d', '/srv/k3s', '-o', '/tmp/kc.yaml', '-t', 'tok', '-c', '/etc/x.yaml']);
  assert.equal(flags.get('rootless')?.value, false);
  assert.equal(flags.get('data-dir')?.value, '/srv/k3s');
  assert.equal(flags.get('write-kubeconfig')?.value, '/tmp/kc.yaml');
  assert.equal(flags.get('token')?.value, 'tok');
  assert.equal(flags.get('config')?.value, '/etc/x.yaml');
});

test('a bad number on the command line is an error naming the flag', () => {
  assert.throws(() => parse('server', ['--https-listen-port', 'high']), /command-line flag --https-listen-port: expected a whole number, got "high"/);
});

test('server-only flags are unknown to the agent', () => {
  assert.throws(() => parse('agent', ['--cluster-cidr', '10.42.0.0/16']), /unknown option '--cluster-cidr'/);
});
