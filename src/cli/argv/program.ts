import { parseWords, type Parsed } from './parse.js';
import { HELP_OPTION, namesOf, shapeOf, VERSION_OPTION } from './shape.js';
import { commandHelp, topHelp } from './help.js';
import type { CommandModule, CommandShape, OptionSpec } from './types.js';
import { cleanCompletions } from '../completion.js';

/**
 * One command line to what layerdig does with it: help, the version, completion
 * candidates, a usage error, or a command's handler with its arguments. Everything
 * the line says is checked here, before any handler runs.
 */

export interface ProgramCommand { name: string; command: string; describe: string; load: () => Promise<CommandModule> }

export interface Program {
  commands: ProgramCommand[];
  /** names that run another command and are listed nowhere */
  hidden?: Record<string, string>;
  usage: string;
  examples: [string, string][];
  version: string;
  /** help text width */
  wrap: number;
}

export type Outcome =
  | { kind: 'print'; text: string }
  | { kind: 'run'; command: string; handler: CommandModule['handler']; args: Record<string, unknown> };

/** A usage error as yargs worded it (usage.ts words it for a person), with what the parser knew. */
export class UsageError extends Error {
  constructor(message: string, readonly shape: CommandShape | null) {
    super(message);
  }
}

const TOP_OPTIONS = new Map<string, OptionSpec>([['version', VERSION_OPTION], ['help', HELP_OPTION]]);
const COMPLETIONS_FLAG = '--get-yargs-completions';

const given = (p: Parsed, key: string) => p.args[key] !== undefined && p.args[key] !== false;

export async function resolve(program: Program, argv: string[]): Promise<Outcome> {
  const flagAt = argv.indexOf(COMPLETIONS_FLAG);
  if (flagAt >= 0) return { kind: 'print', text: (await completions(program, argv.slice(flagAt + 2))).map((c) => `${c}\n`).join('') };
  const top = parseWords(argv, TOP_OPTIONS);
  const word = top.positionals[0];
  const name = word !== undefined ? program.hidden?.[word] ?? word : undefined;
  const entry = program.commands.find((c) => c.name === name);
  if (!entry) {
    // yargs' `help` command: the same as --help
    if (given(top, 'help') || word === 'help') return { kind: 'print', text: topHelp(topShape(program), program.commands, program.wrap) };
    if (given(top, 'version')) return { kind: 'print', text: `${program.version}\n` };
    throw new UsageError(word === undefined ? 'Not enough non-option arguments: got 0, need at least 1' : `Unknown argument: ${word}`, null);
  }
  const mod = await entry.load();
  const shape = shapeOf(entry.name, entry.command, entry.describe, mod.builder as never);
  const parsed = parseWords(argv, shape.options);
  if (given(parsed, 'help')) return { kind: 'print', text: commandHelp(shape, program.wrap) };
  if (given(parsed, 'version')) return { kind: 'print', text: `${program.version}\n` };
  return { kind: 'run', command: entry.name, handler: mod.handler, args: validated(shape, parsed, parsed.positionals.filter((w, i) => i !== parsed.positionals.indexOf(word!))) };
}

function topShape(program: Program): CommandShape {
  return { name: '', usage: program.usage, describe: '', options: TOP_OPTIONS, positionals: [], examples: program.examples };
}

/** The checks yargs made, in its order: positionals, required options, unknown names, choices, numbers. */
function validated(shape: CommandShape, parsed: Parsed, words: string[]): Record<string, unknown> {
  const args: Record<string, unknown> = { ...parsed.args, _: [shape.name], $0: 'layerdig' };
  const need = shape.positionals.filter((p) => p.required).length;
  if (words.length < need) throw new UsageError(`Not enough non-option arguments: got ${words.length}, need at least ${need}`, shape);
  const rest = [...words];
  for (const p of shape.positionals) {
    const taken = p.variadic ? rest.splice(0) : rest.splice(0, 1);
    if (taken.length) args[p.name] = p.variadic ? taken : taken[0];
    else if (p.default !== undefined) args[p.name] = p.default;
    else if (p.variadic) args[p.name] = [];
  }
  const missing = [...shape.options].filter(([k, o]) => o.demandOption && args[k] === undefined).map(([k]) => k);
  if (missing.length) throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, shape);
  const unknown = [...parsed.unknown, ...rest];
  if (unknown.length) throw new UsageError(`Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, shape);
  for (const [k, o] of shape.options) {
    if (!o.choices || args[k] === undefined) continue;
    const bad = [args[k]].flat().find((v) => !o.choices!.includes(v as string));
    if (bad !== undefined) {
      const list = o.choices.map((c) => JSON.stringify(c)).join(', ');
      throw new UsageError(typeof bad === 'string' ? `--${k} must be one of ${list}, not ${JSON.stringify(bad)}` : `--${k} needs a value: one of ${list}`, shape);
    }
  }
  const nan = [...shape.options].find(([k, o]) => o.type === 'number' && typeof args[k] === 'number' && Number.isNaN(args[k]));
  if (nan) throw new UsageError(`--${nan[0]} must be a number`, shape);
  return args;
}

/**
 * Candidates for the completion script: command names before a command is named;
 * after it, the options not given yet (`-x` for one letter, `--no-x` for what is on by
 * default), or the choices of the option just typed.
 */
async function completions(program: Program, words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const entry = program.commands.find((c) => words.includes(c.name));
  if (!entry) {
    if (!current.startsWith('-')) return program.commands.filter((c) => !words.includes(c.name)).map((c) => c.name);
    return optionCandidates(TOP_OPTIONS, words);
  }
  const mod = await entry.load();
  const shape = shapeOf(entry.name, entry.command, entry.describe, mod.builder as never);
  const choices = previousChoices(shape, words);
  if (choices?.length) return choices;
  if (current === '-' || (current !== '' && !current.startsWith('-'))) return [];
  return optionCandidates(shape.options, words);
}

function previousChoices(shape: CommandShape, words: string[]): string[] | undefined {
  let prev = words.at(-1);
  let filter = '';
  if (prev !== undefined && !prev.startsWith('-') && words.length > 1) {
    filter = prev;
    prev = words.at(-2);
  }
  if (!prev?.startsWith('-')) return undefined;
  const name = prev.replace(/^-+/, '');
  const spec = [...shape.options].find(([k, o]) => namesOf(k, o).includes(name))?.[1];
  return spec?.choices?.filter((c) => !filter || c.startsWith(filter));
}

/** yargs' candidates (`--key`, `--no-key` for what is on by default), then cleaned as completion.ts cleans them */
function optionCandidates(options: Map<string, OptionSpec>, words: string[]): string[] {
  const raw: string[] = [];
  const current = words.at(-1) ?? '';
  const typed = (n: string) => words.includes(/^[^0-9]$/.test(n) ? `-${n}` : `--${n}`);
  // yargs listed --help (without -h) first, then --version, then the command's options
  const listed = new Map<string, OptionSpec>([['help', { type: 'boolean' }], ...[...options].filter(([k]) => k !== 'help')]);
  for (const [k, o] of listed) {
    const negable = o.type === 'boolean';
    if (namesOf(k, o).some((n) => typed(n) || (negable && typed(`no-${n}`)))) continue;
    for (const n of [k, ...[o.alias ?? []].flat()]) {
      const dashes = !current.startsWith('--') && /^[^0-9]$/.test(n) ? '-' : '--';
      raw.push(`${dashes}${n}`);
      if (n === k && negable && o.default) raw.push(`${dashes}no-${n}`);
    }
  }
  return cleanCompletions(raw, new Set([...options.keys()].filter((k) => NEGATED.includes(k))));
}

/** the booleans whose completion offers only `--no-…` (on by default, and the reason to type them) */
const NEGATED = ['trunc', 'content', 'human'];
