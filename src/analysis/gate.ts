import {
  ALL_RULES, goParseFloat, isRuleDisabled, parseBytes, parseCount, parseList, parseSwitch,
  type GateSettings, type RuleName,
} from './gate-config.js';

/**
 * The CI gate: each rule compares one measured value with its threshold,
 * with dive's comparisons for dive's rules (all strict):
 * - lowestEfficiency fails when threshold > efficiency (0 ≤ threshold ≤ 1);
 * - highestWastedBytes fails when wasted bytes > threshold (go-humanize sizes);
 * - highestUserWastedPercent fails when user wasted percent > threshold
 *   (0 ≤ threshold ≤ 1); a NaN percent (one-layer image) passes, as in dive.
 * layerdig's rules fail when the value exceeds the threshold: maxImageSize
 * (Σ Docker DiffSize), maxLayerCount, maxDeadBytes, and, as switches,
 * forbidSetuid / forbidSecrets / requireVerify (threshold 0 findings).
 * Supply-chain rules: requireSignature (a signature of the image that verifies
 * with the configured keys or trusted root), requireProvenance (SLSA provenance
 * about the image), allowedBuilders / allowedSourceRepos (every provenance names
 * an allowed builder id / source repository; no provenance fails them).
 * Pure: settings and facts in, results out.
 */

export type RuleStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface RuleResult {
  name: RuleName;
  status: RuleStatus;
  /** the measured value (null when it could not be measured) */
  value: number | null;
  /** the threshold in effect (null when the rule is off) */
  threshold: number | null;
  message: string;
}

/** What verify or the secret audit found, when they are available in this build. */
export interface Finding {
  /** where (a path in the image, a layer, a member) */
  where: string;
  what: string;
}

export interface GateFacts {
  efficiency: number;
  wastedBytes: number;
  userWastedPercent: number;
  /** Σ Docker DiffSize of the layers: what `docker images` shows */
  imageSize: number;
  layerCount: number;
  deadBytes: number;
  /** final-tree paths of setuid regular files */
  setuidPaths: string[];
  /** null: this build has no secret audit */
  secrets: Finding[] | null;
  /** null: this build has no verify */
  verifyProblems: Finding[] | null;
  /** the image's signatures as verify --key/--trusted-root judged them; null when not checked */
  signatures?: { status: string; why: string; counts: boolean }[] | null;
  /** SLSA provenance attached to the image; null when not read */
  provenance?: { builderId: string | null; sourceRepo: string | null; about: boolean }[] | null;
}

/** `git+https://host/x.git#ref` and `https://host/x` name the same repository */
export function normalizeRepo(uri: string): string {
  return uri.trim().replace(/^git\+/, '').replace(/#.*$/, '').replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
}

/** An allowed entry matches exactly, or as a prefix when it ends with `*`. */
export function allowed(list: string[], value: string, norm: (s: string) => string = (x) => x): boolean {
  return list.some((a) => (a.endsWith('*') ? norm(value).startsWith(norm(a.slice(0, -1))) : norm(value) === norm(a)));
}

export interface GateResult {
  pass: boolean;
  rules: RuleResult[];
}

/** A settings problem: which rule, which value, why (the CLI reports it as an error, like dive 0.13). */
export function settingsProblems(s: GateSettings): string[] {
  const out: string[] = [];
  for (const name of ALL_RULES) {
    const { value, source } = s[name];
    if (isRuleDisabled(value)) continue;
    const where = source === 'flag' ? `--${name}` : source === 'file' ? `${FILE_KEY[name]}` : `default ${name}`;
    const bad = (why: string) => out.push(`${where}: ${why} (given "${value}")`);
    switch (name) {
      case 'lowestEfficiency':
      case 'highestUserWastedPercent': {
        const v = goParseFloat(value);
        if (v === null) bad('not a number');
        else if (v < 0 || v > 1) bad('outside the allowed range 0-1');
        break;
      }
      case 'highestWastedBytes':
      case 'maxImageSize':
      case 'maxDeadBytes':
        if (parseBytes(value) === null) bad('not a size (like 20MB, 1.5GiB or 1000)');
        break;
      case 'maxLayerCount':
        if (parseCount(value) === null) bad('not a whole number');
        break;
      case 'allowedBuilders':
      case 'allowedSourceRepos':
        if (parseList(value).length === 0) bad('an empty list');
        break;
      default:
        if (parseSwitch(value) === null) bad('not a switch (true or false)');
    }
  }
  return out;
}

const FILE_KEY: Record<RuleName, string> = {
  lowestEfficiency: 'rules.lowestEfficiency',
  highestWastedBytes: 'rules.highestWastedBytes',
  highestUserWastedPercent: 'rules.highestUserWastedPercent',
  maxImageSize: 'layerdig.maxImageSize',
  maxLayerCount: 'layerdig.maxLayerCount',
  maxDeadBytes: 'layerdig.maxDeadBytes',
  forbidSetuid: 'layerdig.forbidSetuid',
  forbidSecrets: 'layerdig.forbidSecrets',
  requireVerify: 'layerdig.requireVerify',
  requireSignature: 'layerdig.requireSignature',
  requireProvenance: 'layerdig.requireProvenance',
  allowedBuilders: 'layerdig.allowedBuilders',
  allowedSourceRepos: 'layerdig.allowedSourceRepos',
};

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function listed(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

const skipped = (name: RuleName, value: number | null, message: string): RuleResult => ({ name, status: 'SKIP', value, threshold: null, message });

/** One rule (or family of rules) judged on the facts; `off` = disabled in the settings. */
type RuleCheck = (name: RuleName, raw: string, off: boolean, f: GateFacts) => RuleResult;

const efficiencyRule: RuleCheck = (name, raw, off, f) => {
  if (off) return skipped(name, f.efficiency, 'rule disabled');
  const t = goParseFloat(raw) ?? NaN;
  const fail = !(t <= 1 && t >= 0) || t > f.efficiency;
  return { name, status: fail ? 'FAIL' : 'PASS', value: finite(f.efficiency), threshold: finite(t),
    message: fail ? `image efficiency is too low (efficiency=${f.efficiency} < threshold=${t})` : '' };
};

const wastedBytesRule: RuleCheck = (name, raw, off, f) => {
  if (off) return skipped(name, f.wastedBytes, 'rule disabled');
  const t = parseBytes(raw);
  const fail = t === null || f.wastedBytes > t;
  return { name, status: fail ? 'FAIL' : 'PASS', value: f.wastedBytes, threshold: t,
    message: fail ? `too many bytes wasted (wasted-bytes=${f.wastedBytes} > threshold=${t})` : '' };
};

const userWastedRule: RuleCheck = (name, raw, off, f) => {
  if (off) return skipped(name, finite(f.userWastedPercent), 'rule disabled');
  const t = goParseFloat(raw) ?? NaN;
  const fail = !(t <= 1 && t >= 0) || f.userWastedPercent > t;
  return { name, status: fail ? 'FAIL' : 'PASS', value: finite(f.userWastedPercent), threshold: finite(t),
    message: fail ? `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${f.userWastedPercent} > threshold=${t})`
      : Number.isNaN(f.userWastedPercent) ? 'no user layers: the ratio is 0/0, which passes as in dive' : '' };
};

const limitRule: RuleCheck = (name, raw, off, f) => {
  const value = name === 'maxImageSize' ? f.imageSize : name === 'maxDeadBytes' ? f.deadBytes : f.layerCount;
  if (off) return skipped(name, value, 'rule disabled');
  const t = name === 'maxLayerCount' ? parseCount(raw) : parseBytes(raw);
  const fail = t === null || value > t;
  const what = name === 'maxImageSize' ? 'image size (bytes)' : name === 'maxDeadBytes' ? 'dead bytes' : 'layer count';
  return { name, status: fail ? 'FAIL' : 'PASS', value, threshold: t, message: fail ? `${what} ${value} > threshold ${t}` : '' };
};

const setuidRule: RuleCheck = (name, _raw, off, f) => {
  if (off) return skipped(name, f.setuidPaths.length, 'rule disabled');
  const n = f.setuidPaths.length;
  return { name, status: n > 0 ? 'FAIL' : 'PASS', value: n, threshold: 0,
    message: n > 0 ? `setuid files: ${listed(f.setuidPaths.map((p) => `/${p}`))}` : '' };
};

const findingsRule: RuleCheck = (name, _raw, off, f) => {
  const found = name === 'forbidSecrets' ? f.secrets : f.verifyProblems;
  if (off) return skipped(name, found ? found.length : null, 'rule disabled');
  if (found === null) return skipped(name, null, `unavailable: this layerdig has no ${name === 'forbidSecrets' ? 'secret audit' : 'verify'} yet`);
  const n = found.length;
  return { name, status: n > 0 ? 'FAIL' : 'PASS', value: n, threshold: 0,
    message: n > 0 ? `${name === 'forbidSecrets' ? 'recoverable secrets' : 'verify problems'}: ${listed(found.map((x) => `${x.where}: ${x.what}`), 3)}` : '' };
};

const signatureRule: RuleCheck = (name, _raw, off, f) => {
  const sigs = f.signatures ?? null;
  if (off) return skipped(name, sigs ? sigs.filter((x) => x.counts).length : null, 'rule disabled');
  if (sigs === null) return skipped(name, null, 'unavailable: no keys or trusted root to check signatures with');
  const good = sigs.filter((x) => x.counts);
  const seen = sigs.length ? `; ${listed(sigs.map((x) => `${x.status}: ${x.why}`), 3)}` : '';
  return { name, status: good.length ? 'PASS' : 'FAIL', value: good.length, threshold: 1,
    message: good.length ? good[0]!.why : `no verified signature of the image (${sigs.length} signature${sigs.length === 1 ? '' : 's'} found${seen})` };
};

const provenanceRule: RuleCheck = (name, raw, off, f) => {
  const prov = (f.provenance ?? []).filter((p) => p.about);
  if (off) return skipped(name, prov.length, 'rule disabled');
  if (prov.length === 0) {
    return { name, status: 'FAIL', value: 0, threshold: 1, message: `no SLSA provenance about this image${name === 'requireProvenance' ? '' : ': nothing to check the ' + (name === 'allowedBuilders' ? 'builder' : 'source repository') + ' of'}` };
  }
  if (name === 'requireProvenance') return { name, status: 'PASS', value: prov.length, threshold: 1, message: '' };
  const list = parseList(raw);
  const what = name === 'allowedBuilders' ? 'builder' : 'source repository';
  const values = prov.map((p) => (name === 'allowedBuilders' ? p.builderId : p.sourceRepo));
  const bad = values.filter((v) => v === null || !allowed(list, v, name === 'allowedSourceRepos' ? normalizeRepo : undefined));
  return { name, status: bad.length ? 'FAIL' : 'PASS', value: bad.length, threshold: 0,
    message: bad.length ? `${what} not allowed: ${listed([...new Set(bad.map((v) => v ?? `(provenance names no ${what})`))], 3)}` : '' };
};

const CHECKS: Record<RuleName, RuleCheck> = {
  lowestEfficiency: efficiencyRule, highestWastedBytes: wastedBytesRule, highestUserWastedPercent: userWastedRule,
  maxImageSize: limitRule, maxDeadBytes: limitRule, maxLayerCount: limitRule,
  forbidSetuid: setuidRule, forbidSecrets: findingsRule, requireVerify: findingsRule,
  requireSignature: signatureRule, requireProvenance: provenanceRule, allowedBuilders: provenanceRule, allowedSourceRepos: provenanceRule,
};

/** Evaluate every rule. Call settingsProblems first: a rule with a bad value here fails. */
export function evaluateGate(s: GateSettings, f: GateFacts): GateResult {
  const rules: RuleResult[] = [];
  for (const name of ALL_RULES) {
    const raw = s[name].value;
    const isSwitch = name === 'forbidSetuid' || name === 'forbidSecrets' || name === 'requireVerify' || name === 'requireSignature' || name === 'requireProvenance';
    if (isSwitch && parseSwitch(raw) === null) {
      rules.push({ name, status: 'FAIL', value: null, threshold: null, message: `invalid value "${raw}": not a switch` });
      continue;
    }
    const off = isSwitch ? parseSwitch(raw) === false : isRuleDisabled(raw);
    rules.push(CHECKS[name](name, raw, off, f));
  }
  return { pass: rules.every((r) => r.status !== 'FAIL'), rules };
}
