import { createHash } from 'node:crypto';
import type { Image } from '../image/model.js';
import type { Attribution, AttributedPackage } from '../packages/attribution.js';
import { purl, type Distro } from '../packages/purl.js';
import { imageNames } from '../image/select.js';
import { stepOf } from '../image/history.js';

/**
 * SBOMs of an image's packages: SPDX 2.3 JSON and CycloneDX 1.5 JSON, each
 * package with its purl and layerdig's attribution (layer index, diffID, the
 * history step that installed this version) — CycloneDX as properties, SPDX
 * as an annotation (SPDX 2.3 packages have no free properties).
 */
export interface SbomInput {
  image: Image;
  attribution: Attribution;
  distro: Distro;
  tool: { name: string; version: string };
  /** document creation time, ISO 8601 UTC without fractions */
  created: string;
}

const imageName = (img: Image) => imageNames(img)[0] ?? img.id;

/** A stable UUID from the image ID (same image, same serial number), RFC 4122 variant bits. */
function uuidFrom(s: string): string {
  const h = createHash('sha256').update(s).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function attributionOf(img: Image, p: AttributedPackage) {
  return {
    'layerdig:layer:index': String(p.layerIndex),
    'layerdig:layer:diffID': img.layers[p.layerIndex]!.diffId,
    'layerdig:layer:createdBy': stepOf(img, p.layerIndex),
    ...(p.earlier.length ? { 'layerdig:package:earlierVersions': p.earlier.map((e) => `${e.version}@layer${e.layerIndex}`).join(', ') } : {}),
  };
}

export function cycloneDx(s: SbomInput): object {
  const { image: img } = s;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuidFrom(`cyclonedx:${img.id}`)}`,
    version: 1,
    metadata: {
      timestamp: s.created,
      tools: { components: [{ type: 'application', name: s.tool.name, version: s.tool.version }] },
      component: { type: 'container', 'bom-ref': img.id, name: imageName(img), version: img.id },
    },
    components: s.attribution.packages.map((p) => {
      const url = purl(p, s.distro);
      return {
        type: 'library',
        'bom-ref': url,
        name: p.name,
        version: p.version,
        purl: url,
        properties: Object.entries({ 'layerdig:package:ecosystem': p.ecosystem, 'layerdig:package:arch': p.arch, ...(p.source ? { 'layerdig:package:source': p.source } : {}), ...attributionOf(img, p) })
          .map(([name, value]) => ({ name, value })),
      };
    }),
    dependencies: [{ ref: img.id, dependsOn: s.attribution.packages.map((p) => purl(p, s.distro)) }],
  };
}

const spdxId = (s: string) => s.replace(/[^A-Za-z0-9.-]/g, '-');

export function spdx(s: SbomInput): object {
  const { image: img } = s;
  const tool = `Tool: ${s.tool.name}-${s.tool.version}`;
  const ids = s.attribution.packages.map((p, i) => `SPDXRef-Package-${p.ecosystem}-${spdxId(p.name)}-${i}`);
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: imageName(img),
    documentNamespace: `https://spdx.org/spdxdocs/layerdig-${uuidFrom(`spdx:${img.id}`)}`,
    creationInfo: { created: s.created, creators: [tool] },
    packages: [
      { SPDXID: 'SPDXRef-Image', name: imageName(img), versionInfo: img.id, downloadLocation: 'NOASSERTION', filesAnalyzed: false, primaryPackagePurpose: 'CONTAINER' },
      ...s.attribution.packages.map((p, i) => ({
        SPDXID: ids[i],
        name: p.name,
        versionInfo: p.version,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        ...(p.source ? { sourceInfo: `built from ${p.source}` } : {}),
        externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl(p, s.distro) }],
        annotations: [{ annotationDate: s.created, annotationType: 'OTHER', annotator: tool, comment: JSON.stringify(attributionOf(img, p)) }],
      })),
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
      ...ids.map((id) => ({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: id })),
    ],
  };
}
