import { describe, expect, it } from 'vitest';
import { artifactNote, classify, cosignTag, settle } from '../src/format/artifact.js';
import type { Descriptor } from '../src/format/common.js';
import type { Artifact } from '../src/image/model.js';

/**
 * The image/artifact rule of issue 11 §1, case by case, with media types and
 * annotations as the OCI image-spec 1.1, buildx and cosign write them.
 */
const D = (x: string) => `sha256:${x.repeat(64)}`;
const manifest = (configType: string, layerTypes: string[] = ['application/vnd.oci.image.layer.v1.tar+gzip'], extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: configType, digest: D('c'), size: 2 },
  layers: layerTypes.map((t) => ({ mediaType: t, digest: D('l'), size: 1 })), ...extra,
});
const desc = (annotations: Record<string, string> = {}, extra: Partial<Descriptor> = {}): Descriptor =>
  ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('m'), size: 1, annotations, ...extra });

describe('what is an image', () => {
  it('an OCI or Docker image config is an image', () => {
    expect(classify(manifest('application/vnd.oci.image.config.v1+json'), {})).toEqual({ image: true });
    expect(classify(manifest('application/vnd.docker.container.image.v1+json', ['application/vnd.docker.image.rootfs.diff.tar.gzip']), {})).toEqual({ image: true });
  });

  it('a missing or generic config type: the content decides (rootfs.diff_ids)', async () => {
    for (const t of ['', 'application/octet-stream']) {
      const v = classify(manifest(t), {});
      expect(v).toEqual({ image: 'ask-config' });
      expect(await settle(v, t, async () => ({ rootfs: { type: 'layers', diff_ids: [] } }))).toEqual({ image: true });
      expect(await settle(v, t, async () => ({ name: 'x' }))).toMatchObject({ image: false, kind: 'artifact' });
    }
  });
});

describe('what is an artifact, and of which kind', () => {
  it('OCI 1.1: artifactType with the empty config, subject = what it is attached to', () => {
    const m = manifest('application/vnd.oci.empty.v1+json', ['application/spdx+json'], { artifactType: 'application/spdx+json', subject: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: D('e'), size: 9 } });
    expect(classify(m, {})).toMatchObject({ image: false, kind: 'sbom', subject: D('e'), attachedBy: 'subject' });
    expect(classify(manifest('application/vnd.oci.empty.v1+json', ['application/vnd.oci.empty.v1+json']), {})).toMatchObject({ image: false, kind: 'artifact', subject: null });
  });

  it('a helm chart', () => {
    expect(classify(manifest('application/vnd.cncf.helm.config.v1+json', ['application/tar+gzip']), {})).toMatchObject({ image: false, kind: 'helm chart' });
  });

  it('a buildx attestation manifest: annotations on the index descriptor, even with an image config', () => {
    const d = desc({ 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': D('a') }, { platform: { os: 'unknown', architecture: 'unknown' } });
    expect(classify(manifest('application/vnd.oci.image.config.v1+json', ['application/vnd.in-toto+json']), { descriptor: d }))
      .toMatchObject({ image: false, kind: 'attestation', subject: D('a'), attachedBy: 'annotation' });
    // without the annotations, in-toto layers under an image config are still no image
    expect(classify(manifest('application/vnd.oci.image.config.v1+json', ['application/vnd.in-toto+json']), {})).toMatchObject({ image: false, kind: 'attestation' });
  });

  it('cosign tags sha256-<hex>.sig|.att|.sbom, as an OCI ref name or a repository tag', () => {
    const hex = 'ab'.repeat(32);
    const img = manifest('application/vnd.oci.image.config.v1+json', ['application/vnd.dev.cosign.simplesigning.v1+json']);
    expect(classify(img, { names: [`sha256-${hex}.sig`] })).toMatchObject({ image: false, kind: 'signature', subject: `sha256:${hex}`, attachedBy: 'tag' });
    expect(cosignTag(`registry.example:5000/team/app:sha256-${hex}.att`)).toEqual({ kind: 'attestation', subject: `sha256:${hex}` });
    expect(cosignTag(`app:sha256-${hex}.sbom`)).toEqual({ kind: 'sbom', subject: `sha256:${hex}` });
    expect(cosignTag(`app:sha256-${hex}`)).toBeNull();
    expect(cosignTag('app:1.0')).toBeNull();
    // a port is not a tag, nor is a repository path
    expect(cosignTag(`localhost:5000/sha256-${hex}.sig`)).toBeNull();
  });

  it('any other non-image config is an artifact', () => {
    expect(classify(manifest('application/vnd.example.thing.config+json'), {})).toMatchObject({ image: false, kind: 'artifact' });
  });
});

describe('the note line', () => {
  const a = (kind: Artifact['kind']): Artifact => ({ kind, digest: D('0'), member: '', mediaType: '', artifactType: null, subject: null, attachedBy: null, by: '', name: null, why: '' });
  it('reads as the issue says: "3 artifacts skipped: 2 attestations, 1 signature — see `attached`"', () => {
    expect(artifactNote([a('attestation'), a('signature'), a('attestation')])).toBe('3 artifacts skipped: 2 attestations, 1 signature — see `attached`');
    expect(artifactNote([a('helm chart')])).toBe('1 artifact skipped: 1 helm chart — see `attached`');
    expect(artifactNote([])).toBeNull();
  });
});
