#!/usr/bin/env node
// forklift runs TypeScript (its own and your forklift.config.ts) through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
