/**
 * `host:port/repo:tag` → repository and tag, split at the last `:` after the
 * last `/` (a port is not a tag). A digest reference keeps `@sha256:…` as tag.
 */
export function splitReference(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at !== -1) return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

/** An OCI ref name that is a full reference (has a repository), not just a tag. */
export function isFullReference(refName: string): boolean {
  return refName.includes('/') || (refName.includes(':') && !/^[\w][\w.-]{0,127}$/.test(refName));
}
