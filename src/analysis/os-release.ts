/**
 * os-release(5): `/etc/os-release` wins; `/usr/lib/os-release` is the fallback.
 * Both are often symlinks (`/etc/os-release -> ../usr/lib/os-release`).
 */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;

export interface OsRelease {
  /** ID, e.g. `debian`, `alpine`, `ubuntu` */
  id: string | null;
  versionId: string | null;
  name: string | null;
  prettyName: string | null;
  versionCodename: string | null;
  idLike: string[];
  /** every KEY=value, unquoted */
  fields: Record<string, string>;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') {
    // shell double quotes: \" \\ \$ \` are escapes
    return v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") return v.slice(1, -1);
  return v.replace(/\\(.)/g, '$1');
}

/** Parse os-release text (shell-compatible KEY=value lines; `#` comments). */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(t);
    if (m) fields[m[1]!] = unquote(m[2]!);
  }
  const get = (k: string) => (fields[k] !== undefined && fields[k] !== '' ? fields[k]! : null);
  return {
    id: get('ID'),
    versionId: get('VERSION_ID'),
    name: get('NAME'),
    prettyName: get('PRETTY_NAME'),
    versionCodename: get('VERSION_CODENAME'),
    idLike: (get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    fields,
  };
}

/** `debian 12 (Debian GNU/Linux 12 (bookworm))`: one line for a table. */
export function describeOs(os: OsRelease): string {
  const short = [os.id ?? os.name ?? 'unknown', os.versionId].filter(Boolean).join(' ');
  return os.prettyName && os.prettyName !== short ? `${short} (${os.prettyName})` : short;
}
