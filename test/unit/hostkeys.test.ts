// Host keys as OpenSSH has them, checked against OpenSSH's own ssh-keygen on this host:
// fingerprints as ssh prints them, known_hosts lookups (plain, hashed, patterns, ports,
// @revoked), pins, and the hosts provider's store of keys met on first contact.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hostKeys } from '../../src/providers/hosts/hostkeys.ts';
import { optionsSchema } from '../../src/providers/hosts/options.ts';
import { fingerprint, hostKeyAlgorithms, lineBlob, parsePins, pinned, shortPin } from '../../src/transport/hostkey.ts';
import { knownHostsLine, knownKeys } from '../../src/transport/knownhosts.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-hostkeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A new public key line of `type`, made by ssh-keygen. */
function newKey(type: 'ed25519' | 'ecdsa' | 'rsa', name: string): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

const ed = newKey('ed25519', 'ed');
const ecdsa = newKey('ecdsa', 'ecdsa');
const rsa = newKey('rsa', 'rsa');
const other = newKey('ed25519', 'other');

describe('host keys', () => {
  test('fingerprints are the ones ssh-keygen prints', () => {
    for (const [key, name] of [[ed, 'ed'], [ecdsa, 'ecdsa'], [rsa, 'rsa']] as const) {
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, `${name}.pub`)], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(fingerprint(lineBlob(key)!), printed);
    }
  });

  test('a pin is keys or fingerprints, one per line; a key matches its pin only', () => {
    const pins = parsePins(`${ed}\n${shortPin(rsa)}\n`);
    assert.equal(shortPin(ed), ed, 'an ed25519 key fits a CloudStack tag whole');
    assert.match(shortPin(rsa), /^ssh-rsa SHA256:[A-Za-z0-9+/]{43}$/);
    assert.ok(pinned(pins, lineBlob(ed)!));
    assert.ok(pinned(pins, lineBlob(rsa)!), 'an RSA key is matched by its fingerprint');
    assert.ok(!pinned(pins, lineBlob(other)!));
    assert.ok(!pinned(pins, lineBlob(ecdsa)!));
    assert.deepEqual(parsePins('not a key\nssh-ed25519 !!!\n'), []);
  });

  test('the pinned key types are offered first', () => {
    assert.deepEqual(hostKeyAlgorithms(parsePins(rsa)).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(hostKeyAlgorithms(parsePins(ecdsa))[0], 'ecdsa-sha2-nistp256');
    assert.equal(hostKeyAlgorithms([])[0], 'ssh-ed25519');
  });
});

describe('known_hosts', () => {
  const keys = (text: string, host: string, port = 22) => knownKeys(text, 'f', host, port).map((k) => [k.key, k.revoked]);

  test('plain names, patterns, negation and ports, as OpenSSH reads them', () => {
    const text = [
      '# a comment',
      `web1.example.com,10.0.0.5 ${ed}`,
      `*.example.org,!bad.example.org ${ecdsa}`,
      `[10.0.0.5]:2222 ${rsa}`,
      `@cert-authority *.example.com ${other}`,
      `garbage`,
    ].join('\n');
    assert.deepEqual(keys(text, '10.0.0.5'), [[ed, false]]);
    assert.deepEqual(keys(text, 'WEB1.example.com'), [[ed, false]]);
    assert.deepEqual(keys(text, 'a.example.org'), [[ecdsa, false]]);
    assert.deepEqual(keys(text, 'bad.example.org'), []);
    assert.deepEqual(keys(text, '10.0.0.5', 2222), [[rsa, false]]);
    assert.deepEqual(keys(text, 'other.example.com'), [], 'a CA line is not a host key');
    assert.deepEqual(keys(`@revoked 10.0.0.9 ${other}`, '10.0.0.9'), [[other, true]]);
  });

  test('hashed names (ssh-keygen -H) match their host and port, and nothing else', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, knownHostsLine('10.1.2.3', 22, ed) + knownHostsLine('10.1.2.3', 2200, ecdsa));
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\|1\|/);
    assert.deepEqual(keys(text, '10.1.2.3'), [[ed, false]]);
    assert.deepEqual(keys(text, '10.1.2.3', 2200), [[ecdsa, false]]);
    assert.deepEqual(keys(text, '10.1.2.4'), []);
  });

  test('lines forklift writes are found by ssh-keygen -F', () => {
    const file = join(dir, 'written');
    writeFileSync(file, knownHostsLine('10.9.9.9', 2022, ed));
    const found = execFileSync('ssh-keygen', ['-F', '[10.9.9.9]:2022', '-f', file], { encoding: 'utf8' });
    assert.ok(found.includes(ed), found);
  });
});

describe('the hosts provider’s host keys', () => {
  test('honours the user’s known_hosts, records new hosts in its own file only, and refuses a revoked key', () => {
    const user = join(dir, 'user_known_hosts');
    const store = join(dir, 'store', 'known_hosts');
    writeFileSync(user, `10.0.0.1 ${ed}\n@revoked 10.0.0.3 ${other}\n`);
    const known = hostKeys(store, [user]);
    assert.deepEqual(known.pin('10.0.0.1', 22), { hostKey: ed, hostKeySource: `${user}:1` });
    assert.deepEqual(known.pin('10.0.0.2', 22), {});
    known.record('10.0.0.2', 22, ecdsa);
    known.record('10.0.0.2', 22, ecdsa);
    assert.equal(readFileSync(store, 'utf8'), `10.0.0.2 ${ecdsa}\n`, 'recorded once, in forklift’s file');
    assert.equal(readFileSync(user, 'utf8').split('\n').length, 3, 'the user’s file is untouched');
    assert.deepEqual(known.pin('10.0.0.2', 22), { hostKey: ecdsa, hostKeySource: `${store}:1` });
    assert.throws(() => known.record('10.0.0.3', 22, other), /offers the host key SHA256:\S+ \(ssh-ed25519\), marked @revoked in .*:2; refusing it/);
  });

  test('a hostKey in the stack file must be a public key line', () => {
    assert.ok(optionsSchema.safeParse({ hosts: [{ host: 'h', group: 'g', hostKey: ed }] }).success);
    assert.ok(!optionsSchema.safeParse({ hosts: [{ host: 'h', group: 'g', hostKey: 'SHA256:abc' }] }).success);
  });
});
