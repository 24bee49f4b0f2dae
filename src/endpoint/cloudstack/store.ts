// The endpoint's state: one JSON file, written atomically (temp file + rename) after every
// change, so a restart loses nothing. Reads come from memory.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type VmState = 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Destroyed' | 'Expunging' | 'Error';

export interface VmRecord {
  id: string;
  name: string;
  displayname: string;
  state: VmState;
  zoneid: string;
  templateid: string;
  serviceofferingid: string;
  diskofferingid?: string;
  securitygroupids: string[];
  keypair?: string;
  /** base64, as sent. */
  userdata?: string;
  created: string;
  /** The local node backing this VM, once it exists. */
  nodeId?: string;
  address?: string;
}

export interface TagRecord {
  resourceid: string;
  resourcetype: string;
  key: string;
  value: string;
}

export interface IngressRule {
  ruleid: string;
  protocol: string;
  startport: number;
  endport: number;
  cidr: string;
}

export interface SecurityGroupRecord {
  id: string;
  name: string;
  description: string;
  ingressrule: IngressRule[];
}

export interface KeyPairRecord {
  name: string;
  publickey: string;
  fingerprint: string;
}

export interface JobRecord {
  jobid: string;
  cmd: string;
  /** 0 pending, 1 success, 2 failure */
  jobstatus: 0 | 1 | 2;
  jobresultcode: number;
  jobresult?: unknown;
  jobinstancetype?: string;
  jobinstanceid?: string;
  created: string;
}

export interface Data {
  vms: VmRecord[];
  tags: TagRecord[];
  securityGroups: SecurityGroupRecord[];
  keyPairs: KeyPairRecord[];
  jobs: JobRecord[];
}

export class Store {
  readonly data: Data;

  constructor(private readonly file: string) {
    this.data = existsSync(file)
      ? { ...empty(), ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<Data>) }
      : empty();
  }

  /** Apply a change and persist it before returning. */
  update<T>(change: (data: Data) => T): T {
    const result = change(this.data);
    this.save();
    return result;
  }

  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function empty(): Data {
  return { vms: [], tags: [], securityGroups: [], keyPairs: [], jobs: [] };
}
