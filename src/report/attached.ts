import { shortId } from '../digest.js';
import { platformString } from '../image/model.js';
import { imageNames } from '../image/select.js';
import type { AttachedItem, AttachedReport } from '../supply/attached.js';
import { created, ellipsis, humanSize, id } from './text.js';
import { table } from './table.js';

/** `attached --json`: per image the documents that travel with it; evidence bytes never printed. */
export function attachedDocument(r: AttachedReport) {
  return {
    archive: r.archive,
    images: r.images.map(({ image, items }) => ({
      id: image.id,
      manifestDigest: image.manifestDigest,
      names: imageNames(image),
      platform: platformString(image.platform),
      attached: items.map(itemDocument),
    })),
    unattached: r.unattached.map(({ artifact: a, why }) => ({ manifest: a.digest, kind: a.kind, artifactType: a.artifactType, subject: a.subject, name: a.name, why })),
  };
}

function itemDocument(i: AttachedItem) {
  return {
    kind: i.kind, how: i.how, manifest: i.manifest, name: i.name, subject: i.subject, via: i.via,
    mediaType: i.mediaType, artifactType: i.artifactType, digest: i.digest, size: i.size < 0 ? null : i.size,
    member: i.member, annotations: i.annotations, created: i.created, predicateType: i.predicateType,
    provenance: i.provenance, sbom: i.sbom, signature: i.signature, problems: i.problems,
  };
}

const SUBJECT = { manifest: "this image's manifest", config: "this image's config (image ID)" } as const;

/** What a reviewer reads first about one document, a few indented lines. */
function details(i: AttachedItem, full: boolean): string[] {
  const out: string[] = [];
  const p = i.provenance;
  if (p) {
    out.push(`builder      ${p.builderId ?? '-'}`, `build type   ${p.buildType ?? '-'}`);
    out.push(`source       ${p.sourceRepo ?? '-'}${p.sourceCommit ? ` @ ${p.sourceCommit}` : ''}`);
    const args = Object.entries(p.buildArgs).map(([k, v]) => `${k}=${p.secretBuildArgs.includes(k) ? v : ellipsis(v, 40, full)}`);
    out.push(`build args   ${args.length ? args.join(' ') : '-'}`);
    out.push(`built        ${created(p.startedOn)} → ${created(p.finishedOn)}`);
    out.push(`subject      ${p.subjectMatches ? SUBJECT[p.subjectMatches] : 'NOT this image'}`);
    if (p.secretBuildArgs.length) out.push(`SECRET?      build argument${p.secretBuildArgs.length === 1 ? '' : 's'} ${p.secretBuildArgs.join(', ')} look${p.secretBuildArgs.length === 1 ? 's' : ''} like a secret (masked): anyone with the image can read the provenance`);
  }
  const s = i.sbom;
  if (s) out.push(`${s.format} ${s.version}, ${s.packages} package${s.packages === 1 ? '' : 's'}${s.generators.length ? `, by ${s.generators.join(', ')}` : ''}${s.name ? ` (${s.name})` : ''}`);
  const g = i.signature;
  if (g) {
    const scheme = { 'simple-signing': 'cosign simple signing', dsse: 'DSSE envelope', gpg: 'GPG (OpenPGP) simple signing' }[g.scheme];
    const about = g.claimedDigest ? `, names ${g.matchesSubject ? (i.via.length || i.subject !== g.claimedDigest ? `its subject ${id(g.claimedDigest, full)}` : "this image's manifest") : id(g.claimedDigest, full)}` : '';
    const ref = g.dockerReference ? `, identity ${g.dockerReference}` : '';
    const check = g.scheme === 'gpg' ? 'not checked here: verify --gpg-keyring' : g.certificate ? 'not checked here: verify --trusted-root' : 'not checked here: verify --key';
    out.push(`${scheme}, ${g.signatures} signature${g.signatures === 1 ? '' : 's'}${about}${ref} — ${check}`);
    const c = g.certificate;
    if (c) out.push(`keyless certificate for ${c.san.join(', ') || '(no email or URI)'} (issuer ${c.issuer ?? 'unknown'}), valid ${c.notBefore} to ${c.notAfter}`);
  }
  for (const [k, v] of Object.entries(i.annotations)) if (v !== '') out.push(`${k}: ${ellipsis(v, 64, full)}`);
  for (const pr of i.problems) out.push(`PROBLEM: ${pr}`);
  return out;
}

export function renderAttached(r: AttachedReport, full: boolean): string {
  const out: string[] = [];
  for (const { image, items } of r.images) {
    const names = imageNames(image);
    out.push(`${names.length ? names.join(', ') : '<none>'} ${id(image.id, full)} ${platformString(image.platform)} (manifest ${id(image.manifestDigest, full)})`);
    if (items.length === 0) {
      out.push('  nothing attached', '');
      continue;
    }
    out.push(table(['#', 'KIND', 'ATTACHED BY', 'MEDIA/ARTIFACT TYPE', 'DIGEST', 'SIZE', 'CREATED'],
      items.map((i, n) => [n + 1, i.kind, i.how + (i.via.length ? ` (via ${i.via.map(shortId).join(', ')})` : ''),
        i.artifactType && i.artifactType !== i.mediaType && i.how === 'referrer subject' ? i.artifactType : i.mediaType,
        id(i.digest, full), i.size < 0 ? '-' : humanSize(i.size), created(i.created)])));
    items.forEach((i, n) => {
      const d = details(i, full);
      if (d.length) out.push(`#${n + 1} ${i.kind}${i.manifest ? ` in ${id(i.manifest, full)}${i.name ? ` (${ellipsis(i.name, 80, full)})` : ''}` : ` ${i.member}`}`, ...d.map((l) => `    ${l}`));
    });
    out.push('');
  }
  for (const u of r.unattached) out.push(`not attached to an image: ${u.artifact.kind} ${id(u.artifact.digest, full)} (${u.artifact.by}): ${u.why}`);
  return out.join('\n').trimEnd();
}
