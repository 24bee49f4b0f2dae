// Every command the endpoint answers, by name (one family per file). Anything else gets 432.
import type { Handler } from '../api.ts';
import { accountCommands } from './account.ts';
import { basicZoneCommands } from './basiczone.ts';
import { catalogCommands } from './catalog.ts';
import { deployCommands } from './deploy.ts';
import { destroyCommands } from './destroy.ts';
import { jobCommands } from './jobs.ts';
import { keyPairCommands } from './keypairs.ts';
import { powerCommands } from './power.ts';
import { scaleCommands } from './scale.ts';
import { securityGroupCommands } from './securitygroups.ts';
import { tagCommands } from './tags.ts';
import { updateCommands } from './update.ts';
import { vmCommands } from './vms.ts';
import { volumeCommands } from './volumes.ts';

const FAMILIES = [
  catalogCommands, accountCommands, basicZoneCommands, jobCommands, keyPairCommands, securityGroupCommands, tagCommands,
  deployCommands, vmCommands, powerCommands, updateCommands, scaleCommands, destroyCommands, volumeCommands,
];

/** Command name (as the API reference spells it) → handler. */
export const COMMANDS: ReadonlyMap<string, Handler> = new Map(FAMILIES.flatMap((f) => Object.entries(f)));

/** The same, by lower-case name (commands are case-insensitive): [name, handler]. */
export const COMMANDS_BY_LOWER_NAME: ReadonlyMap<string, [string, Handler]> = new Map(
  [...COMMANDS].map(([name, handler]) => [name.toLowerCase(), [name, handler]]),
);
