import type { CommandModule } from '../argv/types.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { applyLimits, emit, globalOptions, note, problem, type GlobalArgs } from '../context.js';
import { openInputsSettled } from '../../app/inputs.js';
import { verifyArchive, verifyUnopened, type VerifyReport } from '../../app/verify.js';
import { renderVerify, verifyDocument } from '../../report/verify.js';
import { signatureCheck, signatureDocument, signatureKeys, type SignatureResult } from '../signatures.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  inputs: string[]; key?: string[]; gpgKeyring?: string[]; trustedRoot?: string; certificateIdentity?: string; certificateOidcIssuer?: string; requireSignature?: boolean;
}

export const verify: CommandModule<object, Args> = {
  ...SPECS.verify,
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'archives, image directories, or directories to search' })
    .option('key', { type: 'string', array: true, describe: 'also check cosign signatures and DSSE attestations with this public key (PEM; repeatable)' })
    .option('gpg-keyring', { type: 'string', array: true, describe: 'also check skopeo dir: GPG signatures (signature-N) with these public keys (gpg --export, binary or armored)' })
    .option('trusted-root', { type: 'string', describe: 'also check cosign keyless (certificate) signatures against this Sigstore trusted_root.json, offline' })
    .option('certificate-identity', { type: 'string', describe: 'with --trusted-root: a keyless signature counts only if its certificate names this email or URI' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'with --trusted-root: a keyless signature counts only if its certificate names this OIDC issuer' })
    .option('require-signature', { type: 'boolean', describe: 'with --key/--gpg-keyring/--trusted-root: exit 1 unless every image has a signature they verify' })
    .example('$0 verify app.tar', 'exit 0 verified, 1 mismatch found, 3 could not read')
    .example('$0 verify app.oci --key cosign.pub --require-signature', 'and signed by the key we trust')
    .example('$0 verify app.oci --trusted-root trusted_root.json --certificate-identity dev@example.com --require-signature', 'keyless: signed by that identity')
    .example('$0 verify /evidence --json --no-trunc', 'every archive under a directory, every check') as never,
  async handler(a) {
    applyLimits(a);
    const keys = signatureKeys(a);
    const reports: VerifyReport[] = [];
    const sigs = new Map<VerifyReport, SignatureResult>();
    const inputs = openInputsSettled(a.inputs, { recursive: true, onSkip: (p, why) => note(a, `skipped ${p}: ${why}`) });
    for await (const o of inputs) {
      let r: VerifyReport;
      if (o.archive) {
        // images that could not be built are named (their blobs are still verified as the archive's)
        for (const error of o.archive.errors) problem(a, { input: o.path, error });
        try {
          r = await verifyArchive(o.archive);
          if (keys) sigs.set(r, await signatureCheck(a, o.archive, keys));
        } finally {
          o.archive.close();
        }
      } else {
        // its row (status unreadable, naming the member) is the report: stdout, never hidden by -q
        r = await verifyUnopened(o.path, o.error);
      }
      for (const n of r.notes) note(a, `${r.archive}: ${n}`);
      reports.push(r);
    }
    if (reports.length === 0) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${a.inputs.join(', ')}: no image archive found`);
    emit(a, reports.map((r) => (keys ? { ...verifyDocument(r), signatures: signatureDocument(sigs.get(r)) } : verifyDocument(r))),
      () => [renderVerify(reports, !a.trunc), ...[...sigs.values()].map((s) => s.text)].join('\n'));
    // a mismatch or a failed signature policy anywhere: 1; nothing readable: 3; some unreadable (each a row with status unreadable): 5
    process.exitCode = reports.some((r) => r.status === 'mismatch') || [...sigs.values()].some((s) => s.failed) ? EXIT.findings
      : reports.every((r) => r.status === 'unreadable') ? EXIT.unreadable
        : reports.some((r) => r.status === 'unreadable') ? EXIT.partial : EXIT.ok;
  },
};
