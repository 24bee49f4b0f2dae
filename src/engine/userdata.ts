// User data as forklift hands it to a provider. cloud-init runs a cloud-config's runcmd as
// one /bin/sh script without `set -e`, so a failing item that is not the last goes unnoticed
// and bootstrap would report success. forklift puts `set -e` first so that any failing item
// fails cloud-init, and bootstrap's wait reports it as a node error. To keep cloud-init's own
// behaviour, make the first item `set +e` (or give userData as a string).
import type { NodeSpec } from '../spec/node.ts';

const SET_E = /^\s*set\s+[-+][a-z]*e/;

export function withStrictRuncmd(spec: NodeSpec): NodeSpec {
  const data = spec.userData;
  if (data === undefined || typeof data === 'string') return spec;
  const runcmd = data['runcmd'];
  if (!Array.isArray(runcmd) || runcmd.length === 0) return spec;
  if (typeof runcmd[0] === 'string' && SET_E.test(runcmd[0])) return spec;
  return { ...spec, userData: { ...data, runcmd: ['set -e', ...runcmd] } };
}
