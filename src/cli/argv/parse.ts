import type { OptionSpec } from './types.js';
import { camel, namesOf } from './shape.js';

/**
 * Words to values, by the rules yargs-parser 22 applied for layerdig (recorded in
 * fixtures/cli-argv/truth.json): `--x v`, `--x=v`, `-x v`, `-xv`/`-x=v`, short groups
 * (`-qj2`), `--no-x`, a boolean taking a following `true`/`false`, arrays eating every
 * following word up to the next option, an option given twice becoming a list, numbers
 * coerced with Number() (a word: NaN, refused later), `--` ending the options.
 */

export interface Parsed {
  /** every name of every option given or defaulted, as the handler reads it (`maxLayers`, `max-layers`, `j`, `jobs`) */
  args: Record<string, unknown>;
  /** words that are not options, in order (after `--` too) */
  positionals: string[];
  /** option names given that the command does not know, as typed (`bogus`, `Z`) */
  unknown: string[];
}

const NEGATIVE = /^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/;
/** `-` alone is a word (standard input), never an option */
const dashed = (w: string) => w !== '-' && /^-/.test(w);

/** yargs-parser's looksLikeNumber: what an option of no type turns into a number. */
function looksLikeNumber(x: string): boolean {
  if (/^0x[0-9a-f]+$/i.test(x)) return true;
  if (/^0[^.]/.test(x)) return false;
  return /^[-]?(?:\d+(?:\.\d*)?|\.\d+)(e[-+]?\d+)?$/.test(x);
}

class Table {
  /** name → canonical key */
  readonly key = new Map<string, string>();
  constructor(readonly options: Map<string, OptionSpec>) {
    for (const [k, spec] of options) for (const n of namesOf(k, spec)) this.key.set(n, k);
  }
  spec(name: string): OptionSpec | undefined {
    const k = this.key.get(name);
    return k === undefined ? undefined : this.options.get(k);
  }
  names(name: string): string[] {
    const k = this.key.get(name);
    if (k === undefined) return name.includes('-') ? [name, camel(name)] : [name];
    return namesOf(k, this.options.get(k)!);
  }
  isBool(name: string) { return this.spec(name)?.type === 'boolean'; }
  isArray(name: string) { return this.spec(name)?.array === true; }
}

export function parseWords(words: readonly string[], options: Map<string, OptionSpec>): Parsed {
  return new Parser(words, options).run();
}

class Parser {
  private readonly t: Table;
  private readonly args: Record<string, unknown> = {};
  private readonly positionals: string[] = [];
  private readonly unknown: string[] = [];

  constructor(private readonly words: readonly string[], private readonly options: Map<string, OptionSpec>) {
    this.t = new Table(options);
  }

  run(): Parsed {
    const { words } = this;
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      let m: RegExpExecArray | null;
      if (w === '--') {
        this.positionals.push(...words.slice(i + 1));
        break;
      } else if (/^---+(=|$)/.test(w)) {
        this.positionals.push(w);
      } else if ((m = /^--([^=]+)=([\s\S]*)$/.exec(w))) {
        if (this.t.isArray(m[1]!)) i = this.eatArray(i, m[1]!, m[2]!);
        else this.set(m[1]!, m[2]!);
      } else if ((m = /^--no-(.+)/.exec(w))) {
        this.set(m[1]!, this.t.isArray(m[1]!) ? [false] : false);
      } else if (/^--.+/.test(w)) {
        i = this.withNext(i, w.slice(2), dashed);
      } else if (/^-[^-]+/.test(w) && !NEGATIVE.test(w)) {
        i = this.shortGroup(w, i);
      } else {
        this.positionals.push(w);
      }
    }
    // defaults for what was not given, under every name
    for (const [k, spec] of this.options) {
      if (spec.default === undefined || k in this.args) continue;
      for (const n of namesOf(k, spec)) if (!(n in this.args)) this.args[n] = spec.default;
    }
    return { args: this.args, positionals: this.positionals, unknown: this.unknown };
  }

  private value(name: string, v: unknown): unknown {
    const spec = this.t.spec(name);
    if (spec?.type === 'boolean' && typeof v === 'string') return v === 'true';
    // a number option is Number() of whatever it was given: `--no-jobs` is 0, a word NaN
    if (spec?.type === 'number') return v === undefined ? v : Number(v);
    if (typeof v !== 'string' || spec?.type === 'string' || spec?.type === 'boolean') return v;
    return looksLikeNumber(v) && Number.isSafeInteger(Math.floor(parseFloat(v))) ? Number(v) : v;
  }

  /** yargs-parser's setKey: a second value makes a list, booleans and first values replace */
  private set(name: string, v: unknown): void {
    const { t, args } = this;
    if (!t.key.has(name) && !this.unknown.includes(name)) this.unknown.push(name);
    const val = Array.isArray(v) ? v.map((x) => this.value(name, x)) : this.value(name, v);
    for (const n of t.names(name)) {
      const old = args[n];
      if (Array.isArray(old)) args[n] = Array.isArray(val) && t.isArray(name) ? old.concat(val) : old.concat([val]);
      else if (old === undefined && t.isArray(name)) args[n] = Array.isArray(val) ? val : [val];
      else if (old !== undefined && !t.isBool(name)) args[n] = [old, val];
      else args[n] = val;
    }
  }

  /** what a flag given without a value means: its default, else true / '' / undefined / [] by type */
  private bare(name: string): unknown {
    const spec = this.t.spec(name);
    if (spec && spec.type !== 'boolean' && spec.default !== undefined) return spec.default;
    if (spec?.array) return [];
    return spec?.type === 'string' ? '' : spec?.type === 'number' ? undefined : true;
  }

  /** `--key a b c`: every following word up to the next option */
  private eatArray(i: number, name: string, inline?: string): number {
    const { words } = this;
    const out: unknown[] = [];
    const next = inline ?? words[i + 1];
    if (this.t.isBool(name) && !/^(true|false)$/.test(next ?? '')) out.push(true);
    else if (next === undefined || (inline === undefined && dashed(next) && !NEGATIVE.test(next))) {
      const d = this.t.spec(name)?.default;
      if (d !== undefined) out.push(...[d].flat());
    } else {
      if (inline !== undefined) out.push(inline);
      for (let j = i + 1; j < words.length; j++) {
        if (dashed(words[j]!) && !NEGATIVE.test(words[j]!)) break;
        i = j;
        out.push(words[j]!);
      }
    }
    this.set(name, out);
    return i;
  }

  /** a flag whose value may be the next word (a boolean takes only `true` / `false`) */
  private withNext(i: number, name: string, isOption: (w: string) => boolean): number {
    if (this.t.isArray(name)) return this.eatArray(i, name);
    const next = this.words[i + 1];
    if (next !== undefined && (!isOption(next) || NEGATIVE.test(next)) && !this.t.isBool(name)) {
      this.set(name, next);
      return i + 1;
    }
    if (next !== undefined && /^(true|false)$/.test(next)) {
      this.set(name, next);
      return i + 1;
    }
    this.set(name, this.bare(name));
    return i;
  }

  /** `-qj2`, `-H=false`, `-iapp` (= -i -a -p -p, as yargs read it) */
  private shortGroup(w: string, i: number): number {
    const letters = w.slice(1, -1).split('');
    for (let j = 0; j < letters.length; j++) {
      const rest = w.slice(j + 2);
      const l = letters[j]!;
      if (letters[j + 1] === '=') {
        if (this.t.isArray(l)) return this.eatArray(i, l, w.slice(j + 3));
        this.set(l, w.slice(j + 3));
        return i;
      }
      if (rest === '-') {
        this.set(l, rest);
        continue;
      }
      if ((/[A-Za-z]/.test(l) && /^-?\d+(\.\d*)?(e-?\d+)?$/.test(rest)) || (letters[j + 1] && /\W/.test(letters[j + 1]!))) {
        this.set(l, rest);
        return i;
      }
      this.set(l, this.bare(l));
    }
    const last = w.slice(-1);
    if (last === '-') return i;
    return this.withNext(i, last, (n) => /^(-|--)[^-]/.test(n));
  }
}
