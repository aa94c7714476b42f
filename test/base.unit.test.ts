import { describe, expect, it } from 'vitest';
import { canonicalRef, detectBase, type OsClueInput } from '../src/analysis/base.js';
import { d, img, L0, L1, L2, L3, L4 } from './helpers/summaries.js';

describe('base', () => {
  const baseImg = img('registry.example/base:1.0', [L0, L1], {
    history: [
      { created: null, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', comment: null, emptyLayer: false, layerIndex: 0 },
      { created: null, createdBy: 'RUN apt-get install', comment: null, emptyLayer: false, layerIndex: 1 },
      { created: null, createdBy: 'CMD ["bash"]', comment: 'buildkit.dockerfile.v0', emptyLayer: true, layerIndex: null },
    ],
  });
  const app = img('app:1', [L0, L1, L2, L3], {
    labels: { 'org.opencontainers.image.base.name': 'registry.example/base:1.0' },
    history: [
      ...baseImg.history,
      { created: null, createdBy: 'COPY . /app', comment: 'buildkit.dockerfile.v0', emptyLayer: false, layerIndex: 2 },
      { created: null, createdBy: 'RUN make', comment: 'buildkit.dockerfile.v0', emptyLayer: false, layerIndex: 3 },
      { created: null, createdBy: 'CMD ["/app/run"]', comment: 'buildkit.dockerfile.v0', emptyLayer: true, layerIndex: null },
    ],
  });
  const os: OsClueInput = {
    status: 'found', os: { id: 'debian', versionId: '12', name: 'Debian', prettyName: null, versionCodename: null, idLike: [], fields: {} },
    path: 'etc/os-release', resolvedPath: 'usr/lib/os-release', links: ['etc/os-release -> ../usr/lib/os-release'], layerIndex: 0, diffId: L0, size: 10, sha256: d('x'),
  };

  it('all four clues agree', () => {
    const r = detectBase(app, os, [baseImg, app]);
    const kinds = r.clues.map((c) => `${c.kind}=${c.value}`);
    expect(kinds).toEqual([
      'label=registry.example/base:1.0',
      'os=debian 12',
      'chain=registry.example/base:1.0',
      'history=layers 0-1 (history entries 0-2)',
    ]);
    expect(r.clues.find((c) => c.kind === 'os')!.evidence).toContain('/etc/os-release (/etc/os-release → ../usr/lib/os-release) is /usr/lib/os-release, last written by layer 0');
    expect(r.disagreements).toEqual([]);
  });

  it('disagreeing clues are shown as disagreeing', () => {
    const lying = { ...app, annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/alpine:3', 'org.opencontainers.image.base.digest': d('m') } };
    const osAbove: OsClueInput = { ...(os as Extract<OsClueInput, { status: 'found' }>), layerIndex: 3 };
    const r = detectBase(lying, osAbove, [baseImg]);
    expect(r.disagreements.join('\n')).toMatch(/manifest annotation .*base.name says docker.io\/library\/alpine:3, config label .* says registry.example\/base:1.0/);
    expect(r.disagreements.join('\n')).toMatch(/says docker.io\/library\/alpine:3, but the chain prefix matches registry.example\/base:1.0/);
    expect(r.disagreements.join('\n')).toMatch(/base.digest says sha256:.* but the chain prefix matches/);
    expect(r.disagreements.join('\n')).toMatch(/os-release was last written by layer 3, above the base \(2 layers\)/);
  });

  it('a chain boundary that differs from the history boundary is a disagreement', () => {
    const mid = img('mid:1', [L0, L1, L2]);
    const r = detectBase(app, os, [baseImg, mid]);
    expect(r.clues.find((c) => c.kind === 'chain')!.value).toBe('mid:1');
    expect(r.disagreements).toEqual([
      expect.stringMatching(/config label .*base.name says registry.example\/base:1.0, but the chain prefix matches mid:1 \(3 layers\)/),
      expect.stringMatching(/base boundary differs: history: the last CMD\/ENTRYPOINT .* puts it at 2 layers; the chain prefix puts it at 3 layers/),
    ]);
  });

  it('no clue: says why for each', () => {
    const r = detectBase(img('lone:1', [L4]), { status: 'skipped' }, null);
    expect(r.clues.map((c) => [c.kind, c.value])).toEqual([['annotation', null], ['os', null], ['chain', null], ['history', null]]);
    expect(r.clues[1]!.evidence).toContain('--no-os');
    expect(r.clues[2]!.evidence).toContain('--against');
  });

  it('a sibling is not a base; the image itself and images built on it are skipped', () => {
    const sibling = img('sib:1', [L0, L1, L4]);
    const child = img('child:1', [L0, L1, L2, L3, L4]);
    const r = detectBase(app, { status: 'skipped' }, [sibling, child, app]);
    expect(r.clues.find((c) => c.kind === 'chain')).toMatchObject({ value: null, evidence: expect.stringContaining('sibling') });
  });

  it('canonical references', () => {
    expect(canonicalRef('docker.io/library/alpine')).toBe('alpine:latest');
    expect(canonicalRef('index.docker.io/library/alpine:3')).toBe('alpine:3');
    expect(canonicalRef('localhost:5000/x')).toBe('localhost:5000/x:latest');
  });
});
