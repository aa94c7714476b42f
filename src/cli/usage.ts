/**
 * Usage errors, worded for a person: which command, what is wrong, and the
 * closest valid name when a command or option is misspelt. Built from what
 * the parser (cli/argv/) knows when it rejects the command line, before any handler;
 * its messages are worded as yargs worded them, the parser layerdig used before.
 */

/** Damerau–Levenshtein distance (adjacent swaps count once): `lyaers` is one step from `layers`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `names` to `word` (case-insensitive), when it is close enough to be a typo. */
export function closest(word: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const dist = editDistance(word.toLowerCase(), n.toLowerCase());
    if (dist < bestD) {
      best = n;
      bestD = dist;
    }
  }
  // a third of the word may be wrong (1 edit for short words, 2 from four letters, at most 4):
  // `lowestEfficency`, `layrs`, `imgs`, `--josn`
  const allowed = word.length <= 3 ? 1 : Math.min(4, Math.max(2, Math.floor(word.length / 3)));
  return best !== null && bestD <= allowed ? best : null;
}

/** What the parser knew when it rejected the command line. */
export interface UsageContext {
  /** the raw arguments */
  argv: string[];
  /** every command name */
  commands: string[];
  /** the command being parsed, when one was recognised */
  command: string | null;
  /** that command's usage line, e.g. `layers <input>` */
  commandUsage: string | null;
  /** every option name and alias the command accepts (without dashes) */
  options: string[];
  /** each option's aliases (`output` → [`o`]) */
  aliases: Record<string, string[]>;
  /** the boolean options (they also take `--no-NAME`) */
  booleans: string[];
}

const dashed = (n: string) => (n.length === 1 ? `-${n}` : `--${n}`);

/** Options on the command line (before `--`) that the command does not know, as typed. */
function unknownOptions(ctx: UsageContext): string[] {
  const known = new Set(ctx.options);
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const isKnown = (n: string) => known.has(n) || known.has(camel(n))
    || (n.startsWith('no-') && ctx.booleans.some((b) => b === n.slice(3) || b === camel(n.slice(3))));
  const out: string[] = [];
  for (const t of ctx.argv) {
    if (t === '--') break;
    if (t.startsWith('--')) {
      const n = t.slice(2).split('=')[0]!;
      if (n && !isKnown(n)) out.push(n);
    } else if (t.startsWith('-') && t.length > 1 && !/^-\d/.test(t)) {
      for (const c of t.slice(1).split('=')[0]!) if (!isKnown(c)) out.push(c);
    }
  }
  return out;
}

/**
 * Turn the parser's message into one sentence: the command, what is wrong, and a
 * suggestion (or where to read the usage).
 */
export function usageMessage(msg: string, ctx: UsageContext): string {
  const helpHint = `run 'layerdig${ctx.command ? ` ${ctx.command}` : ''} --help' for usage`;
  if (ctx.command === null) {
    const first = ctx.argv.find((t) => !t.startsWith('-'));
    if (first === undefined) return `name a command (${helpHint})`;
    const near = closest(first, ctx.commands);
    return `unknown command \`${first}\`${near ? `: did you mean \`${near}\`?` : ` (${helpHint})`}`;
  }
  const cmd = ctx.command;
  if (/^Unknown arguments?:/.test(msg)) {
    const unknown = unknownOptions(ctx);
    if (unknown.length) {
      const longNames = ctx.options.filter((o) => o.length > 1);
      return `${cmd}: ${unknown.map((u) => {
        const near = u.length > 1 ? closest(u, longNames) : null;
        return `unknown option ${dashed(u)}${near ? ` (did you mean ${dashed(near)}?)` : ''}`;
      }).join('; ')}${unknown.some((u) => u.length > 1 && closest(u, longNames)) ? '' : ` (${helpHint})`}`;
    }
    const extra = msg.replace(/^Unknown arguments?:\s*/, '');
    return `${cmd}: unexpected argument${extra.includes(',') ? 's' : ''} ${extra} (usage: layerdig ${ctx.commandUsage}; ${helpHint})`;
  }
  const notEnough = /^Not enough non-option arguments: got (\d+)/.exec(msg);
  if (notEnough && ctx.commandUsage) {
    const required = [...ctx.commandUsage.matchAll(/<([^>]+)>/g)].map((m) => m[1]!.replace(/\.\.$/, '...'));
    const missing = required.slice(Number(notEnough[1]));
    return `${cmd}: missing ${missing.map((m) => `<${m}>`).join(' ') || 'arguments'} (usage: layerdig ${ctx.commandUsage})`;
  }
  const missingOpt = /^Missing required arguments?:\s*(.*)$/.exec(msg);
  if (missingOpt) {
    const names = missingOpt[1]!.split(/,\s*/).map((n) => (ctx.commandUsage?.includes(`<${n}`) ? `<${n}>`
      : `${dashed(n)}${ctx.aliases[n]?.length ? ` (${ctx.aliases[n]!.map(dashed).join(', ')})` : ''}`));
    return `${cmd}: missing ${names.join(', ')} (usage: layerdig ${ctx.commandUsage}; ${helpHint})`;
  }
  return `${cmd}: ${msg} (${helpHint})`;
}
