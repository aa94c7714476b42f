import { Layout } from './layout.js';
import type { CommandShape, OptionSpec } from './types.js';

/**
 * `--help`: usage line, description, positionals, options (aliases, type, required,
 * choices, default) and examples, laid out as yargs laid them out (fixtures/cli-argv).
 */

const SCRIPT = 'layerdig';
const len = (s: string) => [...s].length;

interface Entry { text: string; indent: number; describe: string; extra: string }

function typeOf(spec: OptionSpec): string | null {
  if (spec.array) return '[array]';
  return spec.type ? `[${spec.type}]` : null;
}

function defaultOf(v: unknown): string | null {
  if (v === undefined) return null;
  return `[default: ${typeof v === 'string' ? `"${v}"` : typeof v === 'object' ? JSON.stringify(v) : String(v)}]`;
}

function extraOf(spec: OptionSpec): string {
  return [typeOf(spec), spec.demandOption ? '[required]' : null,
    spec.choices ? `[choices: ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}]` : null, defaultOf(spec.default)]
    .filter(Boolean).join(' ');
}

function optionEntries(shape: CommandShape): Entry[] {
  const entries = [...shape.options].map(([key, spec]) => {
    const names = [key, ...[spec.alias ?? []].flat()].map((n) => (n.length > 1 ? `--${n}` : `-${n}`));
    const text = [...names.filter((n) => !n.startsWith('--')), ...names.filter((n) => n.startsWith('--'))].join(', ');
    return { text, indent: 0, describe: spec.describe ?? '', extra: extraOf(spec) };
  });
  // with any short switch in the group, long-only ones line up after `-x, `
  if (entries.some((e) => !e.text.startsWith('--'))) for (const e of entries) if (e.text.startsWith('--')) e.indent = 4;
  return entries;
}

function group(ui: Layout, wrap: number, title: string, entries: Entry[]): void {
  if (!entries.length) return;
  ui.div(title);
  const w = Math.min(Math.max(...entries.map((e) => len(e.text) + e.indent)), Math.floor(wrap * 0.5)) + 4;
  for (const e of entries) {
    ui.span({ text: e.text, padding: [0, 2, 0, 2 + e.indent], width: w }, e.describe);
    if (e.extra) ui.div({ text: e.extra, padding: [0, 0, 0, 2], align: 'right' });
    else ui.div();
  }
  ui.div();
}

function examples(ui: Layout, wrap: number, list: [string, string][]): void {
  if (!list.length) return;
  ui.div('Examples:');
  const lines = list.map(([l, d]) => [l.replace(/\$0/g, SCRIPT), d] as const);
  const w = Math.min(Math.max(...lines.map(([l]) => len(l))), Math.floor(wrap * 0.5)) + 4;
  for (const [l, d] of lines) ui.div({ text: l, padding: [0, 2, 0, 2], width: w }, { text: d });
  ui.div();
}

const finish = (ui: Layout) => `${ui.toString().replace(/\s*$/, '')}\n`;

/** `layerdig <command> --help` */
export function commandHelp(shape: CommandShape, wrap: number): string {
  const ui = new Layout(wrap);
  ui.div({ text: `${SCRIPT} ${shape.usage}` });
  ui.div({ text: shape.describe, padding: [1, 0, 0, 0] });
  ui.div();
  // a variadic positional defaults to no words, as yargs showed it
  group(ui, wrap, 'Positionals:', shape.positionals.map((p) => ({ text: p.name, indent: 0, describe: p.describe ?? '',
    extra: extraOf({ ...p, demandOption: p.demandOption || p.required, default: p.default ?? (p.variadic ? [] : undefined) }) })));
  group(ui, wrap, 'Options:', optionEntries(shape));
  examples(ui, wrap, shape.examples);
  return finish(ui);
}

/** `layerdig --help`: every command, the two options, the examples. */
export function topHelp(top: CommandShape, commands: { command: string; describe: string }[], wrap: number): string {
  const ui = new Layout(wrap);
  ui.div({ text: top.usage.replace(/\$0/g, SCRIPT) });
  ui.div();
  ui.div('Commands:');
  const w = Math.min(Math.max(...commands.map((c) => len(`${SCRIPT} ${c.command}`))), Math.floor(wrap * 0.5)) + 4;
  for (const c of commands) {
    ui.span({ text: `${SCRIPT} ${c.command}`, padding: [0, 2, 0, 2], width: w }, { text: c.describe });
    ui.div();
  }
  ui.div();
  group(ui, wrap, 'Options:', optionEntries(top));
  examples(ui, wrap, top.examples);
  return finish(ui);
}
