// A node's facts as the shell function reads them, run by sh on this host: the same values
// uname, nproc and dpkg give, read mostly with the shell's own `read`; dpkg is asked only
// when the architecture is not the one whose package architecture the caller knows.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { FACTS_FUNCTION, GATHER_FACTS, factsBody, parseFacts } from '../../src/shell/facts.ts';

const facts = (script: string) => {
  const out = spawnSync('sh', ['-c', script], { env: { ...process.env, LC_ALL: 'C' } });
  assert.equal(out.status, 0, out.stderr.toString());
  return parseFacts(factsBody(out.stdout)!);
};
const cmd = (file: string, ...args: string[]) => execFileSync(file, args, { encoding: 'utf8' }).trim();

describe('facts', () => {
  test('gathered on a first contact: what uname, nproc and dpkg say', () => {
    const f = facts(GATHER_FACTS);
    const [hostname, kernel, architecture] = cmd('uname', '-nrm').split(' ');
    assert.deepEqual([f.hostname, f.kernel, f.architecture], [hostname, kernel, architecture]);
    assert.equal(f.cpus, Number(cmd('nproc')));
    assert.equal(f.packageArchitecture, cmd('dpkg', '--print-architecture'));
    assert.ok(f.memoryMiB > 0 && f.os.family !== '');
  });

  test('the CPUs are the ones this process may use, as nproc counts them', () => {
    const all = cmd('nproc');
    const one = spawnSync('taskset', ['-c', '0', 'sh', '-c', `${FACTS_FUNCTION}\nfl_facts`], { env: { ...process.env, LC_ALL: 'C' } });
    assert.equal(parseFacts(factsBody(one.stdout)!).cpus, 1, `nproc says ${all} in all`);
  });

  test('with the architecture it knows, the package architecture is taken as given; with another, dpkg is asked', () => {
    const arch = cmd('uname', '-m');
    assert.equal(facts(`${FACTS_FUNCTION}\nfl_facts '${arch}' given-arch`).packageArchitecture, 'given-arch');
    assert.equal(facts(`${FACTS_FUNCTION}\nfl_facts not-${arch} given-arch`).packageArchitecture, cmd('dpkg', '--print-architecture'));
  });
});
