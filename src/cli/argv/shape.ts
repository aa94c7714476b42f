import type { Argv, CommandShape, OptionSpec, Positional, PositionalSpec } from './types.js';

export const VERSION_OPTION: OptionSpec = { type: 'boolean', describe: 'Show version number' };
export const HELP_OPTION: OptionSpec = { type: 'boolean', alias: 'h', describe: 'Show help' };

/** The positionals a usage line names: `<a>` required, `[b]` optional, `..` takes the rest. */
export function usagePositionals(usage: string): Positional[] {
  return [...usage.matchAll(/([<[])([^>\]]+)[>\]]/g)].map((m) => {
    const variadic = m[2]!.endsWith('..');
    return { name: variadic ? m[2]!.slice(0, -2) : m[2]!, required: m[1] === '<', variadic };
  });
}

/** Run a command's builder against a recorder: its options, positionals and examples. */
export function shapeOf(name: string, usage: string, describe: string, builder?: (y: Argv) => unknown): CommandShape {
  const shape: CommandShape = { name, usage, describe, options: new Map([['version', VERSION_OPTION]]), positionals: usagePositionals(usage), examples: [] };
  const y: Argv = {
    option(n: string, spec: OptionSpec) { shape.options.set(n, spec); return y; },
    positional(n: string, spec: PositionalSpec) {
      const p = shape.positionals.find((q) => q.name === n);
      if (p) Object.assign(p, spec);
      return y;
    },
    example(line: string, description: string) { shape.examples.push([line, description]); return y; },
  };
  builder?.(y);
  shape.options.delete('help');
  shape.options.set('help', HELP_OPTION);
  return shape;
}

/** Every name an option answers to: itself, its aliases, and the camelCase / dashed spelling of each. */
export function namesOf(key: string, spec: OptionSpec): string[] {
  const names = [key, ...[spec.alias ?? []].flat()];
  for (const n of [...names]) {
    if (n.includes('-')) names.push(camel(n));
    else if (n.length > 1 && /[A-Z]/.test(n)) names.push(dashed(n));
  }
  return [...new Set(names)];
}

export const camel = (s: string) => s.replace(/-+([^-])/g, (_m, c: string) => c.toUpperCase());
export const dashed = (s: string) => s.replace(/([a-z\d])([A-Z])/g, '$1-$2').toLowerCase();
