// The endpoint's state: one JSON file, written atomically (temp file + rename) after every
// change, so a restart loses nothing. Reads come from memory. The file is checked when it
// is read (a corrupt one is one clear error); a write that fails later is logged and the
// change kept in memory, written with the next change that succeeds: serving goes on.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../validate.ts';
import { EndpointError } from './errors.ts';

const VM_STATES = ['Starting', 'Running', 'Stopping', 'Stopped', 'Destroyed', 'Expunging', 'Error'] as const;

const vmSchema = z.object({
  id: z.string(),
  name: z.string(),
  displayname: z.string(),
  state: z.enum(VM_STATES),
  zoneid: z.string(),
  templateid: z.string(),
  serviceofferingid: z.string(),
  diskofferingid: z.string().optional(),
  securitygroupids: z.array(z.string()),
  /** Key pair names, comma-separated (resetSSHKeyForVirtualMachine may set several). */
  keypair: z.string().optional(),
  /** The instance group's name (deployVirtualMachine or updateVirtualMachine `group`). */
  group: z.string().optional(),
  haenable: z.boolean().optional(),
  /** GB, as deployVirtualMachine's rootdisksize gave it. */
  rootdisksize: z.number().optional(),
  /** base64, as sent. */
  userdata: z.string().optional(),
  created: z.string(),
  /** The local node backing this VM, once it exists. */
  nodeId: z.string().optional(),
  address: z.string().optional(),
});

const tagSchema = z.object({ resourceid: z.string(), resourcetype: z.string(), key: z.string(), value: z.string() });

const ruleSchema = z.object({
  ruleid: z.string(),
  protocol: z.enum(['tcp', 'udp', 'icmp', 'all']),
  /** tcp/udp; 0 for icmp and all. */
  startport: z.number().int(),
  endport: z.number().int(),
  /** icmp only; -1 = any. */
  icmptype: z.number().int().optional(),
  icmpcode: z.number().int().optional(),
  cidr: z.string(),
});

const groupSchema = z.object({ id: z.string(), name: z.string(), description: z.string(), ingressrule: z.array(ruleSchema) });

const keyPairSchema = z.object({ name: z.string(), publickey: z.string(), fingerprint: z.string() });

const jobSchema = z.object({
  jobid: z.string(),
  cmd: z.string(),
  /** 0 pending, 1 success, 2 failure */
  jobstatus: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  jobresultcode: z.number(),
  jobresult: z.unknown().optional(),
  jobinstancetype: z.string().optional(),
  jobinstanceid: z.string().optional(),
  created: z.string(),
  /** When it ended (finished jobs are dropped a day later, as CloudStack's job.expire.minutes). */
  completed: z.string().optional(),
});

const dataSchema = z.object({
  vms: z.array(vmSchema).default([]),
  tags: z.array(tagSchema).default([]),
  securityGroups: z.array(groupSchema).default([]),
  keyPairs: z.array(keyPairSchema).default([]),
  jobs: z.array(jobSchema).default([]),
});

export type VmState = (typeof VM_STATES)[number];
export type VmRecord = z.output<typeof vmSchema>;
export type TagRecord = z.output<typeof tagSchema>;
export type IngressRuleRecord = z.output<typeof ruleSchema>;
export type SecurityGroupRecord = z.output<typeof groupSchema>;
export type KeyPairRecord = z.output<typeof keyPairSchema>;
export type JobRecord = z.output<typeof jobSchema>;
export type Data = z.output<typeof dataSchema>;

export class Store {
  readonly data: Data;
  /** The last write failed: the file is behind memory. */
  private failing = false;

  constructor(
    readonly file: string,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.data = existsSync(file) ? read(file) : dataSchema.parse({});
  }

  /** Apply a change and persist it (a failed write is logged, never thrown). */
  update<T>(change: (data: Data) => T): T {
    const result = change(this.data);
    this.save();
    return result;
  }

  /** Write the file; false (logged once until a write succeeds again) when it cannot be written. */
  save(): boolean {
    try {
      this.write();
    } catch (err) {
      if (!this.failing) this.log(`cannot write the data file ${this.file} (${reason(err)}): changes are kept in memory and written with the next change that succeeds`);
      this.failing = true;
      return false;
    }
    if (this.failing) this.log(`the data file ${this.file} is written again`);
    this.failing = false;
    return true;
  }

  /** Write the file or fail with one clear line (at start-up: a data file that cannot be kept). */
  saveOrThrow(): void {
    try {
      this.write();
    } catch (err) {
      throw new EndpointError(`cannot write the data file ${this.file}: ${reason(err)}`, { file: this.file });
    }
  }

  private write(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.data, null, 1) + '\n', { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }
}

function read(file: string): Data {
  const fail = (why: string) => new EndpointError(`the data file ${file} ${why}; repair it, or move it away to start with an empty cloud`, { file });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`cannot be read (${reason(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`is not valid JSON (${reason(err)})`);
  }
  const parsed = dataSchema.safeParse(json);
  if (!parsed.success) throw fail(`is not an endpoint's state: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** "ENOTDIR: not a directory" (the path is named already), or the error's message. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code } = err as NodeJS.ErrnoException;
  return code && err.message.startsWith(code) ? err.message.split(',')[0]! : err.message;
}
