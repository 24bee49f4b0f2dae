// What plan, check and lift share: --show-scripts (each node's script, secrets as ***, on
// stdout) and --detailed-exitcode (Terraform's: 0 no changes, 2 changes, 1 an error).
import { Option } from 'commander';
import type { OperationOptions } from '../engine/operation.ts';

export interface ShownScript {
  node: string;
  phase: string;
  script: string;
}

export const showScriptsOption = () => new Option('--show-scripts', 'print the exact shell script each node would get (secrets as ***)');
export const detailedExitcodeOption = () => new Option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when something would, 1 on an error (Terraform\'s); usage errors then exit 1 too');

/** Collect each node's script (the apply script, in a dry run) as it is planned. */
export function collectScripts(options: OperationOptions): ShownScript[] {
  const scripts: ShownScript[] = [];
  const next = options.onEvent;
  options.scripts = true;
  options.onEvent = (e) => {
    if (e.type === 'node-script') scripts.push({ node: e.node, phase: e.phase, script: e.applyScript ?? e.script });
    next?.(e);
  };
  return scripts;
}

/** The exit code: with --detailed-exitcode, 2 when something would change. */
export function exitCode(ok: boolean, changes: boolean, detailed: boolean | undefined): number {
  if (!ok) return 1;
  return detailed && changes ? 2 : 0;
}
