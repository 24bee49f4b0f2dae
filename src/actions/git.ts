// gitCheckout: a work tree at `path` checked out from `repo` at a branch, a tag or a commit.
// Check (read-only; asks the remote with `git ls-remote` unless the ref is a commit): the
// checkout exists with that origin, has no changes to tracked files (untracked files are
// left alone, as with Ansible's git), and HEAD is the commit the ref names now (a branch:
// checked out as a local branch at origin's tip). Git must be on the node: packages('git').
import { z } from 'zod';
import { lines, raw, sh, type Cmd } from '../shell/sh.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { accountName } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\/./, 'must be an absolute path (not /)') }));

export interface GitCheckoutArgs {
  path: string;
  repo: string;
  /** A branch or tag name, or a full commit id; absent: the remote's default branch. */
  ref?: string;
  owner?: string;
  force?: boolean;
}

const COMMIT = /^[0-9a-f]{40}$/;
/** A branch or tag name git accepts (check-ref-format), in plain characters. */
const refName = z
  .string()
  .regex(/^[A-Za-z0-9_+@][A-Za-z0-9._/+@-]*$/, 'not a branch, tag or commit name')
  .refine((r) => !/\.\.|\/\/|@\{|\/\.|\.lock$|\.lock\/|[./]$/.test(r) && !r.startsWith('refs/'), 'not a branch, tag or commit name');

const gitSchema = z
  .object({
    /** What `git clone` takes: a URL (https, ssh, git, file) or user@host:path, or a path on the node. */
    repo: z.string().regex(/^[^\s-]\S*$/, 'must be a repository URL or path'),
    ref: refName.optional(),
    /** The account that owns the checkout; git runs as it (its ssh keys and config). */
    owner: accountName.optional(),
    /** Discard changes to tracked files instead of failing (Ansible's force). */
    force: z.boolean().optional(),
  })
  .strict();

export type GitCheckoutOptions = z.input<typeof gitSchema>;

const NO_GIT = "git is not installed on the node: add packages('git') before this action";

export const gitCheckoutAction = defineAction<GitCheckoutArgs>({
  kind: 'git-checkout',
  render(args) {
    const { path, repo, ref, owner } = args;
    const prelude = lines(
      sh`fl_dir=${path}`,
      owner === undefined ? raw('fl_git() { git -C "$fl_dir" "$@"; }') : sh`fl_git() { runuser -u ${owner} -- git -C "$fl_dir" "$@"; }`,
      ref !== undefined && COMMIT.test(ref) ? undefined : resolver(ref),
    );
    const check = lines(
      prelude,
      raw('[ -e "$fl_dir/.git" ]'),
      owner !== undefined ? sh`[ "$(stat -c %U "$fl_dir")" = ${owner} ]` : undefined,
      sh`[ "$(fl_git remote get-url origin)" = ${repo} ]`,
      raw('[ -z "$(fl_git status --porcelain --untracked-files=no)" ]'),
      raw('fl_head=$(fl_git rev-parse -q --verify HEAD)'),
      ref !== undefined && COMMIT.test(ref)
        ? sh`[ "$fl_head" = ${ref} ]`
        : lines(
            raw('fl_r=$(fl_resolve)'),
            raw('set -- $fl_r'),
            raw('[ "$#" -eq 3 ]'),
            raw('[ "$fl_head" = "$1" ]'),
            raw('[ "$2" = tag ] || [ "$(fl_git symbolic-ref -q --short HEAD)" = "$3" ]'),
          ),
    );
    const apply = lines(
      prelude,
      sh`command -v git >/dev/null || { echo ${NO_GIT} >&2; exit 3; }`,
      raw('if [ ! -e "$fl_dir/.git" ]; then'),
      sh`  if [ -e "$fl_dir" ] && [ -n "$(ls -A "$fl_dir")" ]; then echo ${`${path} exists and is not a git checkout`} >&2; exit 3; fi`,
      raw('  mkdir -p "$fl_dir"'),
      owner !== undefined ? sh`  chown ${`${owner}:`} "$fl_dir"` : undefined,
      raw('  fl_git -c init.defaultBranch=main init -q'),
      sh`  fl_git remote add origin ${repo}`,
      raw('fi'),
      owner !== undefined ? sh`[ "$(stat -c %U "$fl_dir")" = ${owner} ] || chown -R ${`${owner}:`} "$fl_dir"` : undefined,
      sh`[ "$(fl_git remote get-url origin)" = ${repo} ] || fl_git remote set-url origin ${repo}`,
      raw('if [ -n "$(fl_git status --porcelain --untracked-files=no)" ]; then'),
      args.force ? raw('  fl_git reset -q --hard') : sh`  echo ${`${path} has local changes (git status); force: true discards them`} >&2; exit 3`,
      raw('fi'),
      ref !== undefined && COMMIT.test(ref) ? checkoutCommit(ref, repo) : checkoutName(repo, ref),
    );
    return [{ check, apply }];
  },
});

/**
 * fl_resolve prints "<commit> tag <name>" or "<commit> branch <name>" for the ref as the
 * remote has it now (a tag wins over a branch of the same name, as in git); nothing when
 * the remote has no such ref, and it fails when the remote cannot be asked. No ref: the
 * remote's default branch.
 */
function resolver(ref: string | undefined): Cmd {
  const name =
    ref === undefined
      ? raw(String.raw`  fl_ls=$(fl_git ls-remote --symref origin HEAD) || return 1
  fl_ref=$(printf '%s\n' "$fl_ls" | awk -F '\t' '$2 == "HEAD" && $1 ~ /^ref: refs\/heads\// { print substr($1, 17) }')`)
      : sh`  fl_ref=${ref}`;
  return lines(
    raw('fl_resolve() {'),
    name,
    raw(String.raw`  [ -n "$fl_ref" ] || return 0
  fl_ls=$(fl_git ls-remote origin "refs/tags/$fl_ref" "refs/tags/$fl_ref^{}" "refs/heads/$fl_ref") || return 1
  printf '%s\n' "$fl_ls" | FL_REF=$fl_ref awk -F '\t' '
    { r = ENVIRON["FL_REF"] } $2 == "refs/tags/" r "^{}" { p = $1 } $2 == "refs/tags/" r { t = $1 } $2 == "refs/heads/" r { h = $1 }
    END { if (p != "") print p, "tag", r; else if (t != "") print t, "tag", r; else if (h != "") print h, "branch", r }'
}`),
  );
}

function checkoutName(repo: string, ref: string | undefined): Cmd {
  return lines(
    raw('fl_r=$(fl_resolve)'),
    raw('set -- $fl_r'),
    sh`[ "$#" -eq 3 ] || { echo ${`no branch or tag ${ref ?? 'HEAD'} in ${repo}`} >&2; exit 3; }`,
    raw('if [ "$2" = tag ]; then'),
    raw('  fl_git fetch -q --force origin "+refs/tags/$3:refs/tags/$3"'),
    raw('  fl_git checkout -q --force --detach "refs/tags/$3^{commit}"'),
    raw('else'),
    raw('  fl_git fetch -q --force origin "+refs/heads/$3:refs/remotes/origin/$3"'),
    raw('  fl_git checkout -q --force -B "$3" "refs/remotes/origin/$3"'),
    raw('  fl_git branch -q --set-upstream-to="origin/$3" "$3"'),
    raw('fi'),
  );
}

function checkoutCommit(commit: string, repo: string): Cmd {
  const want = `${commit}^{commit}`;
  return lines(
    // A commit no branch tip names may be refused by the server; then fetch every branch and tag.
    sh`fl_git cat-file -e ${want} 2>/dev/null || fl_git fetch -q origin ${commit} 2>/dev/null || fl_git fetch -q --force origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'`,
    sh`fl_git cat-file -e ${want} 2>/dev/null || { echo ${`commit ${commit} is not in ${repo}`} >&2; exit 3; }`,
    sh`fl_git checkout -q --force --detach ${commit}`,
  );
}

/** A work tree at `path` checked out from `repo` at `ref` (a branch, a tag or a full commit id). */
export function gitCheckout(path: string, options: GitCheckoutOptions): Action<GitCheckoutArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'gitCheckout');
  const where = `gitCheckout ${p}`;
  const { ref, ...o } = parseSpec(gitSchema, options, where);
  const args: GitCheckoutArgs = { path: p, ...o };
  if (ref !== undefined && ref !== 'HEAD') args.ref = ref;
  return action(gitCheckoutAction, where, args);
}
