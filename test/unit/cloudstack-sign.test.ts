import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalString, isoSeconds, javaUrlEncode, signRequest, signature } from '../../src/providers/cloudstack/sign.ts';

test('published vector (jclouds QuerySignerTest): apiKey=apiKey&command=listZones, secret secretKey', () => {
  const params = { command: 'listZones', apiKey: 'apiKey' };
  assert.equal(canonicalString(params), 'apikey=apikey&command=listzones');
  assert.equal(signature(params, 'secretKey'), '2UG8AcnMaozL3BINdjgkJ+RzjEY=');
});

test('Java URLEncoder rules: A-Z a-z 0-9 . - * _ kept, space %20, the rest %XX of UTF-8', () => {
  assert.equal(javaUrlEncode('AZaz09.-*_'), 'AZaz09.-*_');
  assert.equal(javaUrlEncode('a b'), 'a%20b');
  assert.equal(javaUrlEncode('~'), '%7E');
  assert.equal(javaUrlEncode('+'), '%2B');
  assert.equal(javaUrlEncode('/=&?%'), '%2F%3D%26%3F%25');
  assert.equal(javaUrlEncode('é日'), '%C3%A9%E6%97%A5');
  assert.equal(javaUrlEncode('😀'), '%F0%9F%98%80');
  assert.equal(javaUrlEncode(''), '');
});

test('names sort as sent (Java String order: upper case first), then the whole string is lowercased', () => {
  const params = { command: 'listVirtualMachines', apiKey: 'AbC', Name: 'Web' };
  assert.equal(canonicalString(params), 'name=web&apikey=abc&command=listvirtualmachines');
  assert.equal(signature(params, 'S3cr3t+/='), 'YgS+5ndd8oKGTG+gG3B9YA08B30=');
});

test('tricky values: empty, spaces, unicode, *, ~, +', () => {
  const params = { g: 'a.b-c_d', f: '+', e: '~', d: '*', c: 'é日', b: 'x y', a: '' };
  assert.equal(canonicalString(params), 'a=&b=x%20y&c=%c3%a9%e6%97%a5&d=*&e=%7e&f=%2b&g=a.b-c_d');
  assert.equal(signature(params, 'S3cr3t+/='), 'el2XOmHXxtbwvnEkt5Ms3k4mtO4=');
});

test('the signature parameter itself is never signed', () => {
  const params = { apiKey: 'apiKey', command: 'listZones' };
  assert.equal(signature({ ...params, signature: 'whatever' }, 'secretKey'), '2UG8AcnMaozL3BINdjgkJ+RzjEY=');
});

test('v3 adds signatureversion=3 and expires, both signed', () => {
  const now = new Date('2024-05-01T10:00:00.123Z');
  const signed = signRequest({ command: 'listZones', response: 'json' }, 'KEY', 'SECRET', { now, ttlMs: 60_000 });
  assert.equal(signed.apikey, 'KEY');
  assert.equal(signed.signatureversion, '3');
  assert.equal(signed.expires, '2024-05-01T10:01:00+0000');
  const { signature: sig, ...rest } = signed;
  assert.equal(canonicalString(rest), 'apikey=key&command=listzones&expires=2024-05-01t10%3a01%3a00%2b0000&response=json&signatureversion=3');
  assert.equal(sig, signature(rest, 'SECRET'));
  assert.notEqual(sig, signature({ ...rest, expires: '2024-05-01T10:02:00+0000' }, 'SECRET'));
});

test('v1 has no expires', () => {
  const signed = signRequest({ command: 'listZones' }, 'apiKey', 'secretKey', { version: 1 });
  assert.deepEqual(Object.keys(signed).sort(), ['apikey', 'command', 'signature']);
  assert.equal(signed.signature, '2UG8AcnMaozL3BINdjgkJ+RzjEY=');
  assert.equal(isoSeconds(new Date('2020-01-02T03:04:05.999Z')), '2020-01-02T03:04:05+0000');
});
