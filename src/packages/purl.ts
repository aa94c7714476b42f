import type { Ecosystem } from './version.js';

/**
 * Package URLs (github.com/package-url/purl-spec, types deb, rpm, apk):
 * `pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12`. The namespace
 * is the distribution (os-release ID; debian/alpine when unknown, none for
 * rpm); an rpm epoch is the `epoch` qualifier, a deb epoch stays in the version.
 */
export interface PurlInput { ecosystem: Ecosystem; name: string; version: string; arch: string }
export interface Distro { id: string | null; versionId: string | null }

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function purl(p: PurlInput, distro: Distro): string {
  const id = distro.id?.toLowerCase() || null;
  const ns = id ?? (p.ecosystem === 'deb' ? 'debian' : p.ecosystem === 'apk' ? 'alpine' : null);
  let version = p.version;
  const q: [string, string][] = [];
  if (p.arch) q.push(['arch', p.arch]);
  if (p.ecosystem === 'rpm') {
    const m = /^(\d+):(.*)$/.exec(version);
    if (m) {
      version = m[2]!;
      q.push(['epoch', m[1]!]);
    }
  }
  if (id && distro.versionId) q.push(['distro', `${id}-${distro.versionId}`]);
  q.sort(([a], [b]) => (a < b ? -1 : 1)); // the spec sorts qualifiers by key
  const qs = q.length ? `?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}` : '';
  return `pkg:${p.ecosystem}/${ns ? `${enc(ns)}/` : ''}${enc(p.name)}@${enc(version)}${qs}`;
}
