// What a forklift.config.ts exports: the stack's name, its provider and its groups.
import type { ProviderConfig } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';
import type { GroupSpec } from '../spec/group.ts';

/** The stack file every command looks for when none is named (-f FILE). */
export const DEFAULT_CONFIG_FILE = 'forklift.config.ts';

export interface StackConfig {
  /** Scopes every node and tag: two stacks never touch each other's nodes. */
  stack: string;
  /** Default: the local provider (real Debian nodes on this machine). */
  provider?: ProviderConfig | Provider;
  groups: GroupSpec[];
}

/** Identity function that gives editors the stack file's types. */
export function defineConfig(config: StackConfig): StackConfig {
  return config;
}
