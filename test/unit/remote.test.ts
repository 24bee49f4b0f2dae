// The node's side of a run, run by sh on this host: the command arrives on stdin and runs
// from memory (never an argument, never a file), its own input follows it, a command cut
// short runs nothing at all, and one channel can run several commands in turn.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { framed, killCommand, PARK, remoteCommand } from '../../src/transport/remote.ts';
import { waitFor } from '../e2e/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-remote-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
const TOKEN = '7e57';

const run = (input: Buffer) => spawnSync('sh', ['-c', remoteCommand(TOKEN)], { input });

describe('the node side of a run', () => {
  test('runs the command with its exit code; what follows it on stdin is the command’s input', () => {
    const r = run(framed('read -r line; echo "got $line"; exit 3', 'hello\n'));
    assert.equal(r.status, 3);
    assert.equal(r.stdout.toString(), 'got hello\n');
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    assert.deepEqual(run(framed('cat', bytes)).stdout, bytes);
  });

  test('a command cut short (a dropped connection) runs nothing of it', () => {
    const whole = framed(`touch ${at('first')}\ntouch ${at('second')}`);
    // Cut before the closing brace, or anywhere before it.
    for (const cut of [whole.length - 2, whole.length - 12, Math.floor(whole.length / 2), 3]) {
      const r = run(whole.subarray(0, cut));
      assert.notEqual(r.status, 0);
      assert.ok(!existsSync(at('first')) && !existsSync(at('second')), `a command cut at ${cut} of ${whole.length} bytes ran`);
    }
  });

  test('no process shows the command in its arguments, and no file holds it', async () => {
    const mark = `s3cr3t-${process.pid}`;
    const child = spawn('sh', ['-c', remoteCommand(TOKEN)], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(framed(`touch ${at('running')}; sleep 2; : ${mark}; sleep 1`));
    await waitFor('the command to run', () => (existsSync(at('running')) ? true : undefined));
    const shown = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(mark);
      } catch {
        return false;
      }
    });
    assert.deepEqual(shown, [], 'a process shows the command');
    await new Promise((done) => child.once('exit', done));
  });

  test('one channel serves several commands: each of more ends its output with a mark and its exit code, without stdin; the last is the channel’s', () => {
    const first = framed(`echo -n state; echo warn >&2; read -r x && echo "read $x"; exit 4`, '', true);
    const second = framed(`echo again; exit 0`, '', true);
    const last = framed('read -r line; echo "got $line"; exit 3', 'hello\n');
    const r = run(Buffer.concat([first, second, last]));
    const mark = (code: number) => `\x1eforklift-next ${code}\n`;
    assert.equal(r.stdout.toString(), `state${mark(4)}again\n${mark(0)}got hello\n`);
    assert.equal(r.stderr.toString(), `warn\n${mark(4)}${mark(0)}`);
    assert.equal(r.status, 3);
    // The channel ending after a command of more (nothing followed) runs nothing more and fails.
    assert.equal(run(first).status, 96);
    assert.throws(() => framed('cat', 'input', true), /no stdin/);
  });

  test('a short one-line command of more comes as its line; cut before its newline, it never runs', () => {
    const line = framed(`touch ${at('by-line')}; echo "line $FORKLIFT_RUN"; exit 5`, '', true);
    assert.equal(line.toString().startsWith('='), true);
    assert.equal(run(line.subarray(0, line.length - 1)).status, 96);
    assert.ok(!existsSync(at('by-line')), 'a line cut short ran');
    const r = run(Buffer.concat([line, framed('echo last')]));
    assert.equal(r.stdout.toString(), `line ${TOKEN}\n\x1eforklift-next 5\nlast\n`);
    assert.ok(existsSync(at('by-line')));
    // Long or multi-line commands keep their length.
    assert.match(framed('echo a\necho b', '', true).toString(), /^\+\d+\n/);
    assert.match(framed(`echo ${'x'.repeat(3000)}`, '', true).toString(), /^\+\d+\n/);
  });

  test('a parked shell answers with the mark, stops its watchdog, and runs the next command with a new one', async () => {
    const mark = `\x1eforklift-next 0\n`;
    const r = run(Buffer.concat([framed('echo one', '', true), PARK, PARK, framed('echo two')]));
    assert.equal(r.stdout.toString(), `one\n${mark}${mark}${mark}two\n`);
    assert.equal(r.status, 0);
    // The watchdog of a waiting shell is gone once parked (it ends within its 1 s poll).
    const child = spawn('sh', ['-c', remoteCommand(TOKEN)], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.write(framed('echo "wd=$fl_wd"', '', true));
    const wd = await waitFor('the watchdog', () => /wd=(\d+)/.exec(out)?.[1]);
    assert.ok(existsSync(`/proc/${wd}`), 'a watchdog runs while the shell serves commands');
    child.stdin.write(PARK);
    await waitFor('the parked watchdog to end', () => (existsSync(`/proc/${wd}`) && readFileSync(`/proc/${wd}/stat`, 'utf8').split(' ')[2] !== 'Z' ? undefined : true));
    assert.equal(child.exitCode, null, 'the shell still waits for its next command');
    child.stdin.end(framed('echo "wd=$fl_wd"'));
    await new Promise((done) => child.once('exit', done));
    const [before, next] = out.split(`${mark}${mark}`);
    assert.equal(before, `wd=${wd}\n`);
    assert.match(next ?? '', /^wd=\d+\n$/);
    assert.notEqual(next, `wd=${wd}\n`, 'the next command has a watchdog of its own');
  });

  test('a state dir gives the run FORKLIFT_STATE and FORKLIFT_PENDING; quoted, whatever the path', () => {
    const r = spawnSync('sh', ['-c', remoteCommand(TOKEN, { stateDir: "/srv/it's here/" })], { input: framed('echo "$FORKLIFT_STATE|$FORKLIFT_PENDING"') });
    assert.equal(r.stdout.toString(), "/srv/it's here/|/srv/it's here/pending\n");
  });

  test('become: the command runs under sudo -n env, the sshd session named for the watchdog; the kill runs under sudo too', () => {
    // A stand-in sudo that records its arguments and runs the command (this host has no sudo).
    const bin = at('bin');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'sudo'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${at('sudo-args')}\n[ "$1" = -n ] && shift\nexec "$@"\n`);
    chmodSync(join(bin, 'sudo'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}` };
    const r = spawnSync('sh', ['-c', remoteCommand(TOKEN, { become: true })], { input: framed('echo "run=$FORKLIFT_RUN sshd=${FORKLIFT_SSHD:-unset} watched=$fl_ssh"; exit 4'), env });
    assert.equal(r.status, 4, r.stderr.toString());
    const [, watched] = /watched=(\d+)/.exec(r.stdout.toString()) ?? [];
    // The watchdog watches the process that started the run (sshd, here this test), not sudo.
    assert.equal(r.stdout.toString(), `run=${TOKEN} sshd=unset watched=${watched}\n`);
    assert.equal(Number(watched), process.pid);
    const args = readFileSync(at('sudo-args'), 'utf8').split('\n');
    assert.deepEqual(args.slice(0, 4), ['-n', 'env', `FORKLIFT_SSHD=${process.pid}`, `FORKLIFT_RUN=${TOKEN}`]);
    assert.match(killCommand(TOKEN, { become: true }), /^exec sudo -n sh -c '/);
    assert.doesNotMatch(killCommand(TOKEN), /sudo/);
  });
});
