// The scripts `forklift completion bash|zsh` prints. Both ask forklift itself what fits
// (`forklift __complete SHELL -- WORDS...`), so verbs, flags and the stack file's groups
// are never out of date. ":files" from forklift means: complete file names.

/** How the script runs forklift: `forklift` when it is on PATH, else the forklift that wrote the script. */
const runner = (bin: string) => `if command -v forklift >/dev/null 2>&1; then forklift "$@"; else node ${quote(bin)} "$@"; fi`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function bashScript(bin: string): string {
  return `# forklift completion for bash. Load it with: source <(forklift completion bash)
_forklift_run() { ${runner(bin)}; }
_forklift_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out IFS=$'\\n'
  out=$(_forklift_run __complete bash -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  if [[ "$out" == ":files" ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  # group= waits for its count: no space after it.
  if [[ \${#COMPREPLY[@]} -eq 1 && "\${COMPREPLY[0]}" == *= ]]; then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -F _forklift_complete forklift
`;
}

export function zshScript(bin: string): string {
  return `#compdef forklift
# forklift completion for zsh. Load it with: source <(forklift completion zsh)
# (after compinit), or save it as _forklift in a folder of $fpath.
_forklift_run() { ${runner(bin)}; }
_forklift() {
  local -a out plain counts
  local line
  out=("\${(@f)$(_forklift_run __complete zsh -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${out[1]}" == ":files" ]]; then _files; return; fi
  for line in $out; do
    [[ -z "$line" ]] && continue
    # group= waits for its count: no space after it.
    if [[ "\${line%%:*}" == *= ]]; then counts+=("$line"); else plain+=("$line"); fi
  done
  (( $#plain )) && _describe -t forklift forklift plain
  (( $#counts )) && _describe -t counts 'group counts' counts -S ''
  return 0
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _forklift "$@"; else compdef _forklift forklift; fi
`;
}

/** One candidate per line: bash takes the values, zsh "value:description" (a colon in the value escaped). */
export function formatCandidates(shell: 'bash' | 'zsh', list: ReadonlyArray<{ value: string; description?: string }>): string {
  if (shell === 'bash') return list.map((c) => c.value).join('\n');
  return list.map((c) => (c.description && c.value !== ':files' ? `${c.value.replace(/:/g, '\\\\:')}:${c.description.replace(/\n/g, ' ')}` : c.value)).join('\n');
}
