import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDisk, chooseOffering, chooseTemplate, chooseZone } from '../../src/providers/cloudstack/select.ts';
import { encodeUserData } from '../../src/providers/cloudstack/provider.ts';
import { resolveOptions } from '../../src/providers/cloudstack/options.ts';

const templates = [
  { id: 't1', name: 'Ubuntu 22.04 LTS', ostypename: 'Ubuntu 22.04 LTS (64-bit)', size: 10 * 2 ** 30 },
  { id: 't2', name: 'Debian 11', ostypename: 'Debian GNU/Linux 11 (64-bit)', size: 10 * 2 ** 30 },
  { id: 't3', name: 'Debian 12', ostypename: 'Debian GNU/Linux 12 (64-bit)', size: 10 * 2 ** 30 },
];
const offerings = [
  { id: 'o4', name: 'Large', cpunumber: 4, memory: 4096 },
  { id: 'o1', name: 'Micro', cpunumber: 1, memory: 512 },
  { id: 'o2', name: 'Small', cpunumber: 1, memory: 1024 },
  { id: 'o3', name: 'Medium', cpunumber: 2, memory: 2048 },
];
const disks = [{ id: 'd50', name: '50 GB', disksize: 50 }, { id: 'd20', name: '20 GB', disksize: 20 }];

test('template: family and version regex; the newest match wins; imageId wins over both', () => {
  assert.equal(chooseTemplate(templates, { image: { osFamily: 'debian', osVersionMatches: '^12' } }).id, 't3');
  assert.equal(chooseTemplate(templates, { image: { osFamily: 'Debian' } }).id, 't3');
  assert.equal(chooseTemplate(templates, { image: { osFamily: 'ubuntu', osVersionMatches: '22\\.04' } }).id, 't1');
  assert.equal(chooseTemplate(templates, { image: { imageId: 't2', osFamily: 'ubuntu' } }).id, 't2');
  assert.throws(
    () => chooseTemplate(templates, { image: { osFamily: 'ubuntu', osVersionMatches: '12.04' } }),
    /^ProviderError: cloudstack: no template matches ubuntu version ~ \/12.04\/; the cloud offers: Ubuntu 22.04 LTS \[t1\], Debian 11 \[t2\], Debian 12 \[t3\]/,
  );
});

test('offering: the smallest that meets minCores and minRam, or an error listing them all', () => {
  assert.equal(chooseOffering(offerings, {}).id, 'o1');
  assert.equal(chooseOffering(offerings, { hardware: { minCores: 1, minRam: 600 } }).id, 'o2');
  assert.equal(chooseOffering(offerings, { hardware: { minCores: 2, minRam: 512 } }).id, 'o3');
  assert.throws(() => chooseOffering(offerings, { hardware: { minCores: 16 } }), /no service offering has 16 cores.*Micro \(1 cores, 512 MiB\)/);
});

test('disk: none when the template is big enough, else the smallest offering that fits', () => {
  assert.equal(chooseDisk(templates[2]!, disks, { hardware: { minDisk: 10 } }), undefined);
  assert.equal(chooseDisk(templates[2]!, disks, { hardware: { minDisk: 15 } })?.id, 'd20');
  assert.throws(() => chooseDisk(templates[2]!, disks, { hardware: { minDisk: 500 } }), /no disk of 500 GB.*20 GB \(20 GB\)/);
});

test('zone: by name or id, else the first; an unknown one lists the zones', () => {
  const zones = [{ id: 'z1', name: 'ch-gva-2' }, { id: 'z2', name: 'de-fra-1' }];
  assert.equal(chooseZone(zones, undefined).id, 'z1');
  assert.equal(chooseZone(zones, 'de-fra-1').id, 'z2');
  assert.throws(() => chooseZone(zones, 'nowhere'), /no zone named nowhere; the cloud offers: ch-gva-2, de-fra-1/);
});

test('user data: cloud-config objects become #cloud-config YAML in base64; over 32 KB is refused', () => {
  const b64 = encodeUserData({ userData: { packages: ['nginx'] } })!;
  assert.equal(Buffer.from(b64, 'base64').toString(), '#cloud-config\npackages:\n  - nginx\n');
  assert.equal(Buffer.from(encodeUserData({ userData: '#!/bin/sh\necho hi\n' })!, 'base64').toString(), '#!/bin/sh\necho hi\n');
  assert.equal(encodeUserData({}), undefined);
  assert.throws(() => encodeUserData({ userData: 'x'.repeat(25_000) }), /^ProviderError: cloudstack: user data is 33336 bytes in base64; the limit is 32768 \(32 KiB\)$/);
});

test('credentials come from the environment; a missing one is named, never a value', () => {
  const env = { CLOUDSTACK_ENDPOINT: 'http://127.0.0.1:1/client/api', CLOUDSTACK_KEY: 'k', CLOUDSTACK_SECRET: 'hush' };
  assert.equal(resolveOptions({}, env).secretKey, 'hush');
  assert.throws(() => resolveOptions({}, { CLOUDSTACK_KEY: 'k' }), (e: Error) =>
    /missing credentials: endpoint \(or \$CLOUDSTACK_ENDPOINT\), secretKey \(or \$CLOUDSTACK_SECRET\)/.test(e.message));
  // A malformed endpoint is named with its source; the secret never shows.
  assert.throws(() => resolveOptions({}, { ...env, CLOUDSTACK_ENDPOINT: 'localhost:8080' }), (e: Error) =>
    e.message === 'cloudstack: $CLOUDSTACK_ENDPOINT "localhost:8080" is not an http:// or https:// URL (e.g. http://localhost:8080/client/api)' && !e.message.includes('hush'));
});
