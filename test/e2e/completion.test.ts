// Shell completion as a user gets it at <TAB>: zsh in a real terminal (tmux) and bash's
// completion function, with the stack file's groups and phases and the stack's real nodes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { BIN, ensureDebianPackage, waitFor } from './helpers.ts';
import { testStack } from './nodes.ts';
import { terminal } from './terminal.ts';

const { stack, dir, cli } = testStack('tcmp', (name) => `import { defineConfig, groupSpec, packages, plan } from 'forklift';
export default defineConfig({
  stack: '${name}',
  groups: [groupSpec('web', { phases: { deploy: plan(packages('curl')) } }), groupSpec('lb')],
});
`);

let node = '';
before(async () => {
  const r = await cli(['converge', '-q', 'web=1']);
  assert.equal(r.code, 0, r.stderr);
  node = /^(web-[0-9a-f]{4}) /m.exec(r.stdout)![1]!;
  for (const shell of ['bash', 'zsh']) writeFileSync(join(dir, `completion.${shell}`), spawnSync(process.execPath, [BIN, 'completion', shell], { encoding: 'utf8' }).stdout);
});

describe(`completion for stack ${stack}`, { timeout: 5 * 60_000 }, () => {
  test('bash: node names for ssh, read from the provider', () => {
    const r = spawnSync('bash', ['--norc', '-c', `source ./completion.bash; COMP_WORDS=(forklift ssh ''); COMP_CWORD=2; _forklift_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), [node], r.stderr);
  });

  test('zsh in a terminal: verbs, group counts, phases, node names', async () => {
    ensureDebianPackage('zsh', () => spawnSync('zsh', ['--version']).status === 0);
    const tty = terminal('zsh', dir, { shell: 'zsh -f', env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
    tty.keys('autoload -U compinit && compinit -u && source ./completion.zsh && echo loaded', 'Enter');
    await waitFor('zsh to load the completion', () => (/^loaded$/m.test(tty.screen()) ? true : undefined));
    /** Type a line, press <TAB>, wait until the line reads `expected` up to the cursor. */
    const line = async (typed: string, expected: string) => {
      tty.keys('C-u', typed, 'Tab');
      await waitFor(`${typed}<TAB> to give "${expected}"`, () => (tty.toCursor().endsWith(expected) ? true : undefined), 20_000)
        .catch((error: Error) => assert.fail(`${error.message}; the line: "${tty.toCursor()}"; the screen:\n${tty.screen()}`));
    };
    await line('forklift conv', ' forklift converge ');
    await line('forklift converge w', ' forklift converge web=');
    await line('forklift lift --phase d', ' forklift lift --phase deploy ');
    await line('forklift ssh ', ` forklift ssh ${node} `);
    await line('forklift lift --verb', ' forklift lift --verbose ');
    // Two groups: zsh lists them under the line, described.
    await line('forklift destroy ', ' forklift destroy ');
    await waitFor('the list of groups', () => (/^web +lb +-- group\s*$/m.test(tty.screen()) ? true : undefined), 20_000)
      .catch((error: Error) => assert.fail(`${error.message}; the screen:\n${tty.screen()}`));
  });
});
