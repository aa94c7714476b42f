import { createRequire } from 'node:module';

// yaml is loaded on first use: it is a quarter of the CLI's code and only `ci` reads YAML
// (start-up, README "Performance"). Its CommonJS build is what `require` loads.
type Yaml = typeof import('yaml');
let yamlModule: Yaml | undefined;
const yaml = (): Yaml => (yamlModule ??= createRequire(import.meta.url)('yaml') as Yaml);
const isMap = (n: unknown) => yaml().isMap(n);
const isScalar = (n: unknown) => yaml().isScalar(n);

/**
 * The CI gate's configuration: dive's `.dive-ci` rules, read the way dive
 * reads them, and layerdig's own rules under a `layerdig:` key that dive
 * ignores. Pure: text in, settings out; errors are returned, not thrown.
 *
 * dive (0.13) decodes `rules.lowestEfficiency`, `rules.highestWastedBytes` and
 * `rules.highestUserWastedPercent` as strings with YAML 1.2 (yaml.v3): a value
 * is its source text (`0.95`, `20Mb`, `off`), an empty or `~` value keeps the
 * default, other keys (`plugins`, `rules.plugin1/rule1`) are ignored. A rule
 * is off when its value is empty, `disabled`, `off` or `false` (any case).
 */

export const DIVE_RULES = ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'] as const;
export const LAYERDIG_RULES = ['maxImageSize', 'maxLayerCount', 'maxDeadBytes', 'forbidSetuid', 'forbidSecrets', 'requireVerify',
  'requireSignature', 'requireProvenance', 'allowedBuilders', 'allowedSourceRepos'] as const;
/** rules whose value is a list: a YAML sequence (or one string) in the file, comma-separated as a flag; held one per line */
export const LIST_RULES: ReadonlySet<RuleName> = new Set(['allowedBuilders', 'allowedSourceRepos']);
/**
 * What the signature rule checks with, under `layerdig:` beside the rules:
 * `keys` (cosign public keys) and `gpgKeyrings` (lists or one path), `trustedRoot`
 * (a Sigstore trusted_root.json), `certificateIdentity` / `certificateOidcIssuer`.
 * Paths are relative to the rules file.
 */
export const TRUST_KEYS = ['keys', 'gpgKeyrings', 'trustedRoot', 'certificateIdentity', 'certificateOidcIssuer'] as const;
export interface TrustConfig { keys?: string[]; gpgKeyrings?: string[]; trustedRoot?: string; certificateIdentity?: string; certificateOidcIssuer?: string }
export type RuleName = (typeof DIVE_RULES)[number] | (typeof LAYERDIG_RULES)[number];
export const ALL_RULES: readonly RuleName[] = [...DIVE_RULES, ...LAYERDIG_RULES];

/** dive's defaults (its `--lowestEfficiency` … flag defaults); layerdig's rules are off unless asked for */
export const DEFAULTS: Record<RuleName, string> = {
  lowestEfficiency: '0.9',
  highestWastedBytes: 'disabled',
  highestUserWastedPercent: '0.1',
  maxImageSize: 'disabled',
  maxLayerCount: 'disabled',
  maxDeadBytes: 'disabled',
  forbidSetuid: 'disabled',
  forbidSecrets: 'disabled',
  requireVerify: 'disabled',
  requireSignature: 'disabled',
  requireProvenance: 'disabled',
  allowedBuilders: 'disabled',
  allowedSourceRepos: 'disabled',
};

export type Source = 'default' | 'file' | 'flag';
export interface RuleSetting {
  value: string;
  source: Source;
}
export type GateSettings = Record<RuleName, RuleSetting>;

export function isRuleDisabled(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === '' || v === 'disabled' || v === 'off' || v === 'false';
}

/**
 * Read a `.dive-ci` text: the rules it sets (by source text), what signatures are
 * checked with (`trust`, only when given), or the first problem. A key under
 * `layerdig:` that names no rule is an error (`unknown`), never ignored: a
 * misspelt `requireSignature` must not pass a build unchecked.
 */
export function parseGateConfig(text: string): { rules: Partial<Record<RuleName, string>>; trust?: TrustConfig } | { error: string; unknown?: boolean } {
  const doc = yaml().parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    return { error: `not valid YAML${at}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
  }
  const out: Partial<Record<RuleName, string>> = {};
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { rules: out };
  if (!isMap(root)) return { error: 'the top level must be a mapping (rules: …)' };
  const isSeq = (n: unknown) => yaml().isSeq(n);
  /** a scalar's text, or a sequence of scalars' texts; null: not that shape */
  const texts = (v: unknown): string[] | null => {
    if (isScalar(v)) return v.value === null ? [] : [typeof v.value === 'string' ? v.value : String(v.source ?? v.value)];
    if (isSeq(v)) {
      const items = (v as { items: unknown[] }).items;
      const t = items.map((x) => (isScalar(x) && x.value !== null ? (typeof x.value === 'string' ? x.value : String(x.source ?? x.value)) : null));
      return t.every((x): x is string => x !== null) ? t : null;
    }
    return null;
  };
  const trust: TrustConfig = {};
  let unknown: string | null = null;
  const section = (key: string, names: readonly RuleName[]): string | null => {
    const node = root.get(key, true);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return null;
    if (!isMap(node)) return `"${key}" must be a mapping of rule names to values`;
    if (key === 'layerdig') {
      const known = new Set<string>([...names, ...TRUST_KEYS]);
      for (const item of (node as { items: { key: unknown }[] }).items) {
        const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
        if (!known.has(k)) {
          unknown = `layerdig.${k} is not a layerdig rule or setting (known: ${[...names, ...TRUST_KEYS].join(', ')})`;
          return unknown;
        }
      }
      for (const name of TRUST_KEYS) {
        const v = node.get(name, true);
        if (v === undefined || v === null) continue;
        const t = texts(v);
        const list = name === 'keys' || name === 'gpgKeyrings';
        if (t === null || (!list && isSeq(v))) return `${key}.${name} must be ${list ? 'a path or a list of paths' : 'a single value'}`;
        if (t.length === 0) continue;
        if (list) trust[name] = t;
        else trust[name] = t[0]!;
      }
    }
    for (const name of names) {
      const v = node.get(name, true);
      if (v === undefined || v === null) continue;
      if (LIST_RULES.has(name)) {
        const t = texts(v);
        if (t === null) return `${key}.${name} must be a list of strings`;
        if (t.length) out[name] = t.join('\n');
        continue;
      }
      if (!isScalar(v)) return `${key}.${name} must be a single value, not a list or mapping`;
      if (v.value === null) continue; // `name:` or `name: ~` keeps the default, as yaml.v3 leaves a string field alone
      out[name] = typeof v.value === 'string' ? v.value : String(v.source ?? v.value);
    }
    return null;
  };
  const problem = section('rules', DIVE_RULES) ?? section('layerdig', LAYERDIG_RULES);
  if (problem) return unknown ? { error: problem, unknown: true } : { error: problem };
  return Object.keys(trust).length ? { rules: out, trust } : { rules: out };
}

/** A list rule's entries (one per line; a flag's commas are turned into lines by the CLI). */
export function parseList(value: string): string[] {
  return value.split('\n').map((x) => x.trim()).filter(Boolean);
}

/** Precedence: a flag given on the command line, then the file, then the default. */
export function gateSettings(file: Partial<Record<RuleName, string>>, flags: Partial<Record<RuleName, string>>): GateSettings {
  const out = {} as GateSettings;
  for (const name of ALL_RULES) {
    const flag = flags[name];
    const fromFile = file[name];
    out[name] = flag !== undefined ? { value: flag, source: 'flag' }
      : fromFile !== undefined ? { value: fromFile, source: 'file' }
        : { value: DEFAULTS[name], source: 'default' };
  }
  return out;
}

/** Go's strconv.ParseFloat(s, 64): decimal or hexadecimal (with a p exponent) floats, inf, infinity, nan. */
export function goParseFloat(s: string): number | null {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : null; // out of range is an error in Go
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const digits = `${hex[2] ?? ''}${hex[3] ?? ''}`;
    const v = parseInt(digits, 16) * 2 ** (Number(hex[4]) - 4 * (hex[3]?.length ?? 0));
    return Number.isFinite(v) ? (hex[1] === '-' ? -v : v) : null;
  }
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return null;
}

const SIZES: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 1024, kib: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1e15, pb: 1e15, pi: 1024 ** 5, pib: 1024 ** 5,
  e: 1e18, eb: 1e18, ei: 1024 ** 6, eib: 1024 ** 6,
};

/** go-humanize's ParseBytes, which dive uses: `20MB` = 20·10⁶, `20MiB` = 20·2²⁰, units in any case, commas allowed. */
export function parseBytes(s: string): number | null {
  const m = /^[\d.,]*/.exec(s)!;
  const num = m[0].replaceAll(',', '');
  const f = goParseFloat(num);
  if (f === null || Number.isNaN(f)) return null;
  const unit = SIZES[s.slice(m[0].length).trim().toLowerCase()];
  if (unit === undefined) return null;
  const v = f * unit;
  if (v >= 2 ** 64) return null;
  return Math.trunc(v);
}

/** A count: a non-negative integer. */
export function parseCount(s: string): number | null {
  return /^\s*\d+\s*$/.test(s) ? Number(s.trim()) : null;
}

/** A yes/no rule: on with `true`, `yes`, `on` (or `enabled`), off per isRuleDisabled. */
export function parseSwitch(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === 'on' || v === 'enabled') return true;
  if (v === 'no' || isRuleDisabled(v)) return false;
  return null;
}
