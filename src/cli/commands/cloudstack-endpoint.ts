import { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface Flags {
  port: string;
  host: string;
  dataFile: string;
  localStack: string;
  rateLimitEvery?: string;
  capacityFailures?: string;
  jobDelayMs?: string;
  failDeployJobs?: string;
  dropEvery?: string;
}

const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export function cloudstackEndpointCommand(): Command {
  return new Command('cloudstack-endpoint')
    .description('serve the CloudStack API on this machine, with real local nodes as VMs')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--data-file <file>', 'state file (kept across restarts)', join(homedir(), '.forklift', 'cloudstack-endpoint.json'))
    .option('--local-stack <name>', 'local stack that holds the VMs\' nodes', 'cloudstack')
    .option('--rate-limit-every <n>', 'fault: answer 429 to every Nth request')
    .option('--capacity-failures <n>', 'fault: answer 533 to the first N deploys')
    .option('--job-delay-ms <ms>', 'fault: keep every async job pending this long')
    .option('--fail-deploy-jobs <n>', 'fault: fail the first N deploy jobs (VM left in Error)')
    .option('--drop-every <n>', 'fault: run every Nth request, then drop its connection unanswered')
    .action(async (flags: Flags) => {
      const faults = {
        rateLimitEvery: int(flags.rateLimitEvery),
        capacityFailures: int(flags.capacityFailures),
        jobDelayMs: int(flags.jobDelayMs),
        failDeployJobs: int(flags.failDeployJobs),
        dropEvery: int(flags.dropEvery),
      };
      // Loaded here, not at start-up: every other command would pay for the server.
      const { loadCredentials, saveCredentials } = await import('../../endpoint/cloudstack/credentials.ts');
      const { startEndpoint } = await import('../../endpoint/cloudstack/server.ts');
      const creds = loadCredentials(flags.dataFile, { apiKey: process.env.CLOUDSTACK_KEY, secretKey: process.env.CLOUDSTACK_SECRET });
      const endpoint = await startEndpoint({
        port: Number(flags.port),
        host: flags.host,
        dataFile: flags.dataFile,
        apiKey: creds.apiKey,
        secretKey: creds.secretKey,
        faults,
        localStack: flags.localStack,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      saveCredentials(creds, endpoint.url);
      process.stdout.write(`CloudStack endpoint on ${endpoint.url}\ncredentials: set -a; . ${creds.file}; set +a\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await endpoint.close();
    });
}
