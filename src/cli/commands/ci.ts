import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from '../argv/types.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, openAll, layerReader, settleTo, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { analyseWaste, setuidPaths } from '../../analysis/waste.js';
import { ALL_RULES, gateSettings, LIST_RULES, parseGateConfig, parseSwitch, type RuleName, type TrustConfig } from '../../analysis/gate-config.js';
import { checkSignatures, loadTrusted, type Trusted } from '../../supply/signatures.js';
import { attachedFor } from '../../supply/attached.js';
import type { Archive } from '../../app/archive.js';
import { loadImages, warnMismatches } from '../content.js';
import { verdictFor, verifyArchive, type VerifyReport } from '../../app/verify.js';
import { evaluateGate, settingsProblems, type Finding, type GateFacts } from '../../analysis/gate.js';
import { ciReport, renderCi, renderJunit, type CiReport } from '../../report/ci.js';
import type { Image } from '../../image/model.js';
import type { LayerEntry } from '../../layer/entry.js';
import { diffSizeOf } from '../../layer/entry.js';
import type { Overlay } from '../../analysis/filetree.js';
import { audit, type RuleId } from '../../analysis/audit.js';
import { isRuleDisabled } from '../../analysis/gate-config.js';
import { attachedItems, provenanceSecrets } from '../../supply/attached.js';
import { SPECS } from './specs.js';

const SWITCHES = new Set<RuleName>(['forbidSetuid', 'forbidSecrets', 'requireVerify', 'requireSignature', 'requireProvenance']);

/** What a gate provider gets: one image, its archive, its layers' entries (already read) and their overlay. */
export interface GateContext {
  archive: Archive;
  image: Image;
  layers: LayerEntry[][];
  overlay: Overlay;
}

/** audit's rules about secrets anyone holding the image can read */
const SECRET_RULES = new Set<RuleId>(['recoverable-secret', 'secret-file', 'secret-env', 'secret-build-arg']);

/**
 * Rules whose analysis belongs to other commands (verify, the secret audit):
 * each returns the findings for one image, or null when this build cannot
 * tell (the rule then reports SKIP "unavailable"). Only called when their
 * rule is on.
 */
export interface GateProviders {
  verify(ctx: GateContext): Promise<Finding[] | null>;
  secrets(ctx: GateContext): Promise<Finding[] | null>;
}

/** One verify per archive, however many of its images are gated. */
const verified = new WeakMap<Archive, Promise<VerifyReport>>();

export const gateProviders: GateProviders = {
  verify: async ({ archive, image }) => {
    let r = verified.get(archive);
    if (!r) verified.set(archive, (r = verifyArchive(archive)));
    return verdictFor(await r, image.id).checks.filter((c) => !c.ok).map((c) => ({
      where: c.subject,
      what: `${c.check}: expected ${c.expected ?? '-'}, got ${c.actual ?? '-'}`,
    }));
  },
  secrets: async ({ archive, image, layers, overlay }) => audit({
    config: image.config.config, layers, overlay, history: image.history, provenanceSecrets: provenanceSecrets(await attachedItems(archive, image)),
  })
    .filter((f) => SECRET_RULES.has(f.rule))
    .map((f) => ({
      where: f.path === null ? (f.rule === 'secret-build-arg' ? '(build)' : '(config)') : `/${f.path}${f.layerIndex === null ? '' : ` (layer ${f.layerIndex})`}`,
      what: `${f.rule}: ${f.detail}`,
    })),
};

/** The image's signatures (as verify --key/--trusted-root judges them) and provenance, for the supply-chain rules. */
async function supplyFacts(ar: Archive, img: Image, trust: Trusted | null): Promise<Pick<GateFacts, 'signatures' | 'provenance'>> {
  const r = await attachedFor(ar, ar.artifacts, [img]);
  const items = r.images[0]?.items ?? [];
  const signatures = trust ? checkSignatures(r, trust).map((c) => ({
    status: c.status, why: c.why,
    // as --require-signature counts: a verified signature of this image's manifest, not an attestation or an artifact's signature
    counts: c.status === 'verified' && c.scheme !== 'dsse' && c.via.length === 0 && c.manifestDigest === img.manifestDigest,
  })) : null;
  const provenance = items.filter((i) => i.provenance).map((i) => ({ builderId: i.provenance!.builderId, sourceRepo: i.provenance!.sourceRepo, about: i.provenance!.subjectMatches !== null }));
  return { signatures, provenance };
}

type Args = GlobalArgs & {
  input: string; image?: string; config?: string; junit?: string; top: number;
  key?: string[]; gpgKeyring?: string[]; trustedRoot?: string; certificateIdentity?: string; certificateOidcIssuer?: string;
} & Partial<Record<RuleName, string>>;

const DESCRIBE: Record<RuleName, string> = {
  lowestEfficiency: "lowest allowed efficiency, 0-1 (dive's default 0.9)",
  highestWastedBytes: "highest allowed wasted bytes, e.g. 20MB (dive's default: disabled)",
  highestUserWastedPercent: "highest allowed wasted/user bytes, 0-1 (dive's default 0.1)",
  maxImageSize: 'largest allowed image size (Σ layer DiffSize), e.g. 500MB',
  maxLayerCount: 'most layers allowed',
  maxDeadBytes: 'most dead bytes allowed, e.g. 10MB',
  forbidSetuid: 'fail on setuid files in the final filesystem (true/false)',
  forbidSecrets: "fail on secrets anyone with the image can read: audit's recoverable-secret, secret-file, secret-env, secret-build-arg (true/false)",
  requireVerify: 'fail unless verify passes (true/false; needs verify)',
  requireSignature: 'fail unless the image has a signature that verifies with --key/--gpg-keyring/--trusted-root (or the rules file\'s keys, gpgKeyrings, trustedRoot)',
  requireProvenance: 'fail unless SLSA provenance about the image travels with it (true/false)',
  allowedBuilders: 'builder ids the provenance may name (comma-separated; a trailing * matches a prefix)',
  allowedSourceRepos: 'source repositories the provenance may name (comma-separated; .git, git+ and #ref ignored; trailing * = prefix)',
};

function readConfig(a: Args): { path: string | null; rules: Partial<Record<RuleName, string>>; trust?: TrustConfig } {
  const path = a.config ?? (existsSync('.dive-ci') ? '.dive-ci' : null);
  if (path === null) return { path: null, rules: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LayerdigError('E_CONFIG', `${path}: cannot read the CI config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parsed = parseGateConfig(text);
  if ('error' in parsed) throw new LayerdigError(parsed.unknown ? 'E_USAGE' : 'E_CONFIG', `${path}: ${parsed.error}`);
  return { path, rules: parsed.rules, trust: parsed.trust };
}

/**
 * What requireSignature checks with: the flags, else the rules file's `keys`,
 * `gpgKeyrings`, `trustedRoot` (paths relative to the rules file). Loaded before
 * any archive is read: a missing or bad key is an error, not a failed gate.
 */
function loadTrust(a: Args, config: { path: string | null; trust?: TrustConfig }): Trusted | null {
  const flags = !!(a.key?.length || a.gpgKeyring?.length || a.trustedRoot !== undefined);
  const t = config.trust ?? {};
  const rel = (p: string) => resolve(dirname(config.path!), p);
  const src = flags
    ? { keys: a.key ?? [], gpg: a.gpgKeyring ?? [], root: a.trustedRoot, identity: a.certificateIdentity, issuer: a.certificateOidcIssuer }
    : { keys: (t.keys ?? []).map(rel), gpg: (t.gpgKeyrings ?? []).map(rel), root: t.trustedRoot === undefined ? undefined : rel(t.trustedRoot),
      identity: a.certificateIdentity ?? t.certificateIdentity, issuer: a.certificateOidcIssuer ?? t.certificateOidcIssuer };
  if (!src.keys.length && !src.gpg.length && src.root === undefined) {
    if (src.identity !== undefined || src.issuer !== undefined) throw new LayerdigError('E_USAGE', 'certificateIdentity / certificateOidcIssuer need a trusted root (--trusted-root or layerdig.trustedRoot)');
    return null;
  }
  try {
    return loadTrusted(src.keys, src.gpg, { trustedRoot: src.root, identity: src.identity, oidcIssuer: src.issuer });
  } catch (e) {
    // name the rules file's setting, not a flag the user did not give
    if (!flags && e instanceof LayerdigError) {
      const msg = e.message.replace(/^--key /, 'layerdig.keys: ').replace(/^--gpg-keyring /, 'layerdig.gpgKeyrings: ').replace(/^--trusted-root /, 'layerdig.trustedRoot: ');
      throw new LayerdigError('E_USAGE', `${config.path}: ${msg}`);
    }
    throw e;
  }
}

export const ci: CommandModule<object, Args> = {
  ...SPECS.ci,
  builder: (y) => {
    let b = globalOptions(y)
      .positional('input', { type: 'string', demandOption: true })
      .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
      .option('config', { alias: 'ci-config', type: 'string', describe: 'rules file (default: ./.dive-ci when it exists)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML here (one testcase per rule)' })
      .option('top', { type: 'number', default: 10, describe: 'inefficient files listed in the table (0: all)' })
      .option('key', { type: 'string', array: true, describe: 'requireSignature: cosign public key(s) (PEM) the signature must verify with' })
      .option('gpg-keyring', { type: 'string', array: true, describe: 'requireSignature: OpenPGP keyring(s) for skopeo dir: signatures' })
      .option('trusted-root', { type: 'string', describe: 'requireSignature: a Sigstore trusted_root.json for keyless signatures' })
      .option('certificate-identity', { type: 'string', describe: 'requireSignature: the keyless certificate\'s email or URI' })
      .option('certificate-oidc-issuer', { type: 'string', describe: 'requireSignature: the keyless certificate\'s OIDC issuer' });
    for (const name of ALL_RULES) b = b.option(name, { type: 'string', describe: DESCRIBE[name] }) as typeof b;
    return b
      .example('$0 ci app.tar', 'rules from ./.dive-ci, else dive\'s defaults')
      .example('$0 ci app.tar --config ci/.dive-ci --junit gate.xml', 'a report for the CI system')
      .example('$0 ci app.tar --lowestEfficiency 0.95 --maxDeadBytes 10MB --forbidSetuid true', 'thresholds as flags') as never;
  },
  async handler(a) {
    const flags: Partial<Record<RuleName, string>> = {};
    for (const name of ALL_RULES) {
      if (a[name] === undefined) continue;
      // `--forbidSetuid` alone switches the rule on
      flags[name] = a[name] === '' && SWITCHES.has(name) ? 'true' : LIST_RULES.has(name) ? String(a[name]).split(',').join('\n') : String(a[name]);
    }
    const config = readConfig(a);
    const settings = gateSettings(config.rules, flags);
    const problems = settingsProblems(settings);
    if (problems.length) throw new LayerdigError('E_CONFIG', `CI rules misconfigured: ${problems.join('; ')}`);
    const on = (name: RuleName) => parseSwitch(settings[name].value) === true;
    const listOn = (name: RuleName) => !isRuleDisabled(settings[name].value);
    const trust = loadTrust(a, config);
    if (on('requireSignature') && !trust) {
      throw new LayerdigError('E_CONFIG', 'CI rules misconfigured: requireSignature needs what the signature must verify with: --key, --gpg-keyring or --trusted-root, or layerdig.keys, gpgKeyrings or trustedRoot in the rules file');
    }
    const wantsProvenance = on('requireProvenance') || listOn('allowedBuilders') || listOn('allowedSourceRepos');

    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    // a layer whose bytes contradict its diffID is a finding (warned, exit 1) whatever the rules;
    // with requireVerify on, it also fails that rule
    const reader = layerReader(a);
    const loaded = await loadImages(reader, ar!, imgs, settleTo(a));
    warnMismatches(reader);
    const results: { img: Image; report: CiReport; inefficiencies: ReturnType<typeof analyseWaste>['dive']['inefficiencies'] }[] = [];
    for (const { image: img, listings: layers } of loaded) {
      const w = analyseWaste(layers);
      const ctx: GateContext = { archive: ar!, image: img, layers, overlay: w.overlay };
      const gate = evaluateGate(settings, {
        efficiency: w.dive.efficiency,
        wastedBytes: w.dive.wastedBytes,
        userWastedPercent: w.dive.userWastedPercent,
        imageSize: layers.reduce((s, l) => s + l.reduce((t, e) => t + diffSizeOf(e), 0), 0),
        layerCount: img.layers.length,
        deadBytes: w.dead.total,
        setuidPaths: setuidPaths(w.overlay),
        secrets: on('forbidSecrets') ? await gateProviders.secrets(ctx) : null,
        verifyProblems: on('requireVerify') ? await gateProviders.verify(ctx) : null,
        ...(on('requireSignature') || wantsProvenance ? await supplyFacts(ar!, img, on('requireSignature') ? trust : null) : {}),
      });
      results.push({ img, report: ciReport(img, gate, settings, config.path), inefficiencies: w.dive.inefficiencies });
    }
    if (a.junit) {
      try {
        writeFileSync(a.junit, renderJunit(results));
      } catch (e) {
        throw new LayerdigError('E_IO', `${a.junit}: cannot write the JUnit report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    emit(a, results.map((r) => r.report), () => results.map((r) => renderCi(r.img, r.report, r.inefficiencies, a.top)).join('\n\n'));
    if (results.some((r) => !r.report.pass)) process.exitCode = EXIT.findings;
  },
};
