import type { Command } from 'commander';

/** Every command path with its subcommands and options, from the program itself (so completion never drifts). */
function tree(command: Command, prefix = ''): Array<{ path: string; words: string[] }> {
  const words = [
    ...command.commands.map((c) => c.name()),
    ...command.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x)),
  ];
  const here = { path: prefix, words };
  return [here, ...command.commands.flatMap((c) => tree(c, prefix ? `${prefix} ${c.name()}` : c.name()))];
}

/** A bash or zsh completion script for `ccloud` (zsh through bashcompinit). */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const cases = tree(program)
    .map((n) => `    '${n.path}') words='${n.words.join(' ')}' ;;`)
    .join('\n');
  const bash = `# ccloud completion (${shell})
_ccloud() {
  local cur path='' i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "\${path:+$path }$w" in
${tree(program)
  .filter((n) => n.path)
  .map((n) => `      '${n.path}') path='${n.path}' ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _ccloud ccloud
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}
