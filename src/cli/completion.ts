/**
 * Tab completion. The script calls the exact node and bin file that printed it
 * (a script calling `layerdig` by name fails when layerdig was started as
 * `node bin/layerdig.js` or through npx), with `--get-yargs-completions` (the flag
 * yargs' scripts used, kept for scripts already installed); the candidates
 * (cli/argv/program.ts) are cleaned of what is not a real option.
 */

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A bash (and zsh with bashcompinit) script that completes `layerdig` through this very install. */
export function completionScript(nodePath: string, binPath: string): string {
  return `###-begin-layerdig-completions-###
# layerdig completion: add to ~/.bashrc (zsh: after 'autoload -U +X bashcompinit && bashcompinit')
_layerdig_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" list
  list=$(${quote(nodePath)} ${quote(binPath)} --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
  mapfile -t COMPREPLY < <(compgen -W "$list" -- "$cur")
  return 0
}
complete -o bashdefault -o default -F _layerdig_completions layerdig
###-end-layerdig-completions-###
`;
}

/**
 * Candidates as a user may type them: one-letter aliases only as `-x`
 * (never `--x`), boolean options that default to true as `--no-…`.
 */
export function cleanCompletions(candidates: readonly string[], negatable: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const c of candidates) {
    const long = /^--([^-].*)$/.exec(c)?.[1];
    if (long !== undefined && long.length === 1) {
      out.push(`-${long}`);
      continue;
    }
    out.push(long !== undefined && negatable.has(long) ? `--no-${long}` : c);
  }
  return [...new Set(out)];
}
