import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, openAll, layerReader, settleTo, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { analyseWaste, setuidPaths } from '../../analysis/waste.js';
import { ALL_RULES, gateSettings, parseGateConfig, parseSwitch, type RuleName } from '../../analysis/gate-config.js';
import type { Archive } from '../../app/archive.js';
import { loadImages, warnMismatches } from '../content.js';
import { verdictFor, verifyArchive, type VerifyReport } from '../../app/verify.js';
import { evaluateGate, settingsProblems, type Finding } from '../../analysis/gate.js';
import { ciReport, renderCi, renderJunit, type CiReport } from '../../report/ci.js';
import type { Image } from '../../image/model.js';
import type { LayerEntry } from '../../layer/entry.js';
import { diffSizeOf } from '../../layer/entry.js';
import type { Overlay } from '../../analysis/filetree.js';
import { audit, type RuleId } from '../../analysis/audit.js';

const SWITCHES = new Set<RuleName>(['forbidSetuid', 'forbidSecrets', 'requireVerify']);

/** What a gate provider gets: one image, its archive, its layers' entries (already read) and their overlay. */
export interface GateContext {
  archive: Archive;
  image: Image;
  layers: LayerEntry[][];
  overlay: Overlay;
}

/** audit's rules about secrets anyone holding the image can read */
const SECRET_RULES = new Set<RuleId>(['recoverable-secret', 'secret-file', 'secret-env']);

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
  secrets: async ({ image, layers, overlay }) => audit({ config: image.config.config, layers, overlay })
    .filter((f) => SECRET_RULES.has(f.rule))
    .map((f) => ({
      where: f.path === null ? '(config)' : `/${f.path}${f.layerIndex === null ? '' : ` (layer ${f.layerIndex})`}`,
      what: `${f.rule}: ${f.detail}`,
    })),
};

type Args = GlobalArgs & { input: string; image?: string; config?: string; junit?: string; top: number } & Partial<Record<RuleName, string>>;

const DESCRIBE: Record<RuleName, string> = {
  lowestEfficiency: "lowest allowed efficiency, 0-1 (dive's default 0.9)",
  highestWastedBytes: "highest allowed wasted bytes, e.g. 20MB (dive's default: disabled)",
  highestUserWastedPercent: "highest allowed wasted/user bytes, 0-1 (dive's default 0.1)",
  maxImageSize: 'largest allowed image size (Σ layer DiffSize), e.g. 500MB',
  maxLayerCount: 'most layers allowed',
  maxDeadBytes: 'most dead bytes allowed, e.g. 10MB',
  forbidSetuid: 'fail on setuid files in the final filesystem (true/false)',
  forbidSecrets: "fail on secrets anyone with the image can read: audit's recoverable-secret, secret-file, secret-env (true/false)",
  requireVerify: 'fail unless verify passes (true/false; needs verify)',
};

function readConfig(a: Args): { path: string | null; rules: Partial<Record<RuleName, string>> } {
  const path = a.config ?? (existsSync('.dive-ci') ? '.dive-ci' : null);
  if (path === null) return { path: null, rules: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LayerdigError('E_CONFIG', `${path}: cannot read the CI config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parsed = parseGateConfig(text);
  if ('error' in parsed) throw new LayerdigError('E_CONFIG', `${path}: ${parsed.error}`);
  return { path, rules: parsed.rules };
}

export const ci: CommandModule<object, Args> = {
  command: 'ci <input>',
  describe: 'a CI gate: dive\'s .dive-ci rules (same defaults and comparisons) plus layerdig\'s; exit 0 pass, 1 failed, 3 error',
  builder: (y) => {
    let b = globalOptions(y)
      .positional('input', { type: 'string', demandOption: true })
      .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
      .option('config', { alias: 'ci-config', type: 'string', describe: 'rules file (default: ./.dive-ci when it exists)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML here (one testcase per rule)' })
      .option('top', { type: 'number', default: 10, describe: 'inefficient files listed in the table (0: all)' });
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
      flags[name] = a[name] === '' && SWITCHES.has(name) ? 'true' : String(a[name]);
    }
    const config = readConfig(a);
    const settings = gateSettings(config.rules, flags);
    const problems = settingsProblems(settings);
    if (problems.length) throw new LayerdigError('E_CONFIG', `CI rules misconfigured: ${problems.join('; ')}`);
    const on = (name: RuleName) => parseSwitch(settings[name].value) === true;

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
