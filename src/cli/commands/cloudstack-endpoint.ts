import { Command, InvalidArgumentError } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface Flags {
  port: number;
  host: string;
  dataFile: string;
  localStack: string;
  requireExpiry?: boolean;
  rateLimitEvery?: number;
  capacityFailures?: number;
  jobDelayMs?: number;
  failDeployJobs?: number;
  dropEvery?: number;
}

function portNumber(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a port number (0-65535)`);
  return Number(value);
}

/** Commander parser for a whole number >= min. */
const whole = (min: number) => (value: string): number => {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a whole number of at least ${min}`);
  return Number(value);
};

export function cloudstackEndpointCommand(): Command {
  return new Command('cloudstack-endpoint')
    .description('serve the CloudStack API on this machine, with real local nodes as VMs')
    .option('--port <n>', 'port to listen on', portNumber, 8080)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--data-file <file>', 'state file (kept across restarts)', join(homedir(), '.forklift', 'cloudstack-endpoint.json'))
    .option('--local-stack <name>', 'local stack that holds the VMs\' nodes', 'cloudstack')
    .option('--require-expiry', 'refuse version 1 signatures (they carry no expiry): accept only signatureversion=3')
    .option('--rate-limit-every <n>', 'fault: answer 429 to every Nth request', whole(1))
    .option('--capacity-failures <n>', 'fault: answer 533 to the first N deploys', whole(0))
    .option('--job-delay-ms <ms>', 'fault: keep every async job pending this long', whole(0))
    .option('--fail-deploy-jobs <n>', 'fault: fail the first N deploy jobs (VM left in Error)', whole(0))
    .option('--drop-every <n>', 'fault: run every Nth request, then drop its connection unanswered', whole(1))
    .action(async (flags: Flags) => {
      const faults = {
        rateLimitEvery: flags.rateLimitEvery,
        capacityFailures: flags.capacityFailures,
        jobDelayMs: flags.jobDelayMs,
        failDeployJobs: flags.failDeployJobs,
        dropEvery: flags.dropEvery,
      };
      // Loaded here, not at start-up: every other command would pay for the server.
      const { EndpointError } = await import('../../endpoint/cloudstack/errors.ts');
      const { loadCredentials, saveCredentials } = await import('../../endpoint/cloudstack/credentials.ts');
      const { startEndpoint } = await import('../../endpoint/cloudstack/server.ts');
      const { CLOUDSTACK_KEY: apiKey, CLOUDSTACK_SECRET: secretKey } = process.env;
      for (const [name, value] of [['CLOUDSTACK_KEY', apiKey], ['CLOUDSTACK_SECRET', secretKey]] as const) {
        if (value !== undefined && !value.trim()) throw new EndpointError(`${name} is set but empty; set it to what clients will use, or unset it to have one generated`);
      }
      const creds = loadCredentials(flags.dataFile, { apiKey, secretKey });
      const endpoint = await startEndpoint({
        port: flags.port,
        host: flags.host,
        dataFile: flags.dataFile,
        apiKey: creds.apiKey,
        secretKey: creds.secretKey,
        requireExpiry: flags.requireExpiry ?? false,
        faults,
        localStack: flags.localStack,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      try {
        saveCredentials(creds, endpoint.url);
      } catch (err) {
        await endpoint.close();
        throw err;
      }
      process.stdout.write(`CloudStack endpoint on ${endpoint.url}\ncredentials: set -a; . ${creds.file}; set +a\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await endpoint.close();
    });
}
