// What the package tests fetch, served by the test itself: an HTTP server on the host's
// bridge address (10.77.0.1, which every local node reaches; the host's INPUT chain is
// not forklift's), a signed apt repository built with dpkg-deb and a throwaway gpg key,
// and a git repository served over git's "dumb" HTTP protocol.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { network } from '../../src/providers/local/index.ts';

const GATEWAY = network().gateway;

export interface Served {
  /** http://10.77.0.1:<port> */
  base: string;
  /** The folder served at base. */
  root: string;
  close(): Promise<void>;
}

/** Serve a fresh temp folder read-only over HTTP on the bridge address, at a port the OS picks. */
export async function serveFolder(): Promise<Served> {
  const root = mkdtempSync(join(tmpdir(), 'fl-served-'));
  const server: Server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    let size: number | undefined;
    try {
      const st = statSync(path);
      if (st.isFile() && path.startsWith(`${root}/`)) size = st.size;
    } catch {
      /* 404 below */
    }
    if (size === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-length': size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, GATEWAY, done));
  const { port } = server.address() as { port: number };
  return {
    base: `http://${GATEWAY}:${port}`,
    root,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          done();
        });
      }),
  };
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options, env: { ...process.env, ...options.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

export interface AptRepo {
  /** The repository's URI (for aptRepository's uris). */
  uri: string;
  /** The signing key, armored and binary. */
  armoredKey: string;
  binaryKeyPath: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * A signed apt repository at `<served>/<name>` (dists/stable/main, amd64) holding each
 * version of package `pkg` (Architecture: all; it installs /usr/share/<pkg>/version).
 */
export function buildAptRepo(served: Served, name: string, pkg: string, versions: readonly string[]): AptRepo {
  const dir = join(served.root, name);
  const work = mkdtempSync(join(tmpdir(), 'fl-apt-'));
  try {
    const gpgHome = join(work, 'gnupg');
    mkdirSync(gpgHome, { mode: 0o700 });
    const gpg = (...args: string[]) => run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { GNUPGHOME: gpgHome } });
    gpg('--quick-gen-key', `forklift test ${name} <test@forklift.invalid>`, 'ed25519', 'sign', 'never');
    const stanzas: string[] = [];
    mkdirSync(join(dir, 'pool'), { recursive: true });
    for (const version of versions) {
      const root = join(work, `${pkg}-${version}`);
      mkdirSync(join(root, 'DEBIAN'), { recursive: true });
      mkdirSync(join(root, 'usr/share', pkg), { recursive: true });
      writeFileSync(join(root, 'usr/share', pkg, 'version'), `${version}\n`);
      const control = `Package: ${pkg}\nVersion: ${version}\nArchitecture: all\nMaintainer: forklift tests <test@forklift.invalid>\nDescription: a package for forklift's tests\n`;
      writeFileSync(join(root, 'DEBIAN/control'), control);
      const file = `pool/${pkg}_${version}_all.deb`;
      run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(dir, file)]);
      const deb = readFileSync(join(dir, file));
      stanzas.push(`${control}Filename: ${file}\nSize: ${deb.length}\nSHA256: ${sha256(deb)}\n`);
    }
    const packages = stanzas.join('\n');
    const index = 'main/binary-amd64/Packages';
    mkdirSync(join(dir, 'dists/stable/main/binary-amd64'), { recursive: true });
    writeFileSync(join(dir, 'dists/stable', index), packages);
    const release = [
      'Origin: forklift-test',
      'Suite: stable',
      'Codename: stable',
      `Date: ${new Date(Date.now() - 60_000).toUTCString()}`,
      'Architectures: amd64',
      'Components: main',
      'SHA256:',
      ` ${sha256(packages)} ${Buffer.byteLength(packages)} ${index}`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'dists/stable/Release'), release);
    gpg('--clearsign', '--output', join(dir, 'dists/stable/InRelease'), join(dir, 'dists/stable/Release'));
    const armoredKey = gpg('--armor', '--export');
    const binaryKeyPath = join(served.root, `${name}-key.gpg`);
    const binary = spawnSync('gpg', ['--batch', '--export'], { env: { ...process.env, GNUPGHOME: gpgHome } });
    if (binary.status !== 0 || binary.stdout.length === 0) throw new Error(`gpg --export: ${binary.stderr}`);
    writeFileSync(binaryKeyPath, binary.stdout);
    return { uri: `${served.base}/${name}`, armoredKey, binaryKeyPath };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface GitRepo {
  /** The repository's URL over HTTP. */
  url: string;
  /** Run git in the working repository (to commit, tag), then publish to the served copy. */
  commit(file: string, content: string, message: string): string;
  tag(name: string, annotated: boolean): void;
  close(): void;
}

/** A git repository with branch main, served over git's dumb HTTP protocol at `<served>/<name>.git`. */
export function buildGitRepo(served: Served, name: string): GitRepo {
  const work = mkdtempSync(join(tmpdir(), 'fl-git-'));
  const bare = join(served.root, `${name}.git`);
  const env = { GIT_AUTHOR_NAME: 'forklift', GIT_AUTHOR_EMAIL: 'test@forklift.invalid', GIT_COMMITTER_NAME: 'forklift', GIT_COMMITTER_EMAIL: 'test@forklift.invalid' };
  const git = (...args: string[]) => run('git', args, { cwd: work, env }).trim();
  git('init', '-q', '-b', 'main');
  run('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  const publish = () => {
    git('push', '-q', '--force', '--tags', bare, 'main');
    run('git', ['update-server-info'], { cwd: bare });
  };
  return {
    url: `${served.base}/${name}.git`,
    commit(file, content, message) {
      writeFileSync(join(work, file), content);
      git('add', file);
      git('commit', '-q', '-m', message);
      publish();
      return git('rev-parse', 'HEAD');
    },
    tag(tag, annotated) {
      git('tag', ...(annotated ? ['-a', '-m', tag] : []), tag);
      publish();
    },
    close: () => rmSync(work, { recursive: true, force: true }),
  };
}
