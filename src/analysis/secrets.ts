/**
 * Names that look like secrets: file paths (private keys, credential files)
 * and environment variables. Names only — layerdig does not read file bodies
 * to decide. Pure.
 */

export type SecretKind = 'private-key' | 'credentials' | 'env-file';

export interface SecretMatch {
  kind: SecretKind;
  /** what matched, for the finding's detail: `id_rsa`, `*.pem`, `.aws/credentials` */
  pattern: string;
}

interface PathRule {
  kind: SecretKind;
  pattern: string;
  /** tested against the base name, or the whole path when `path` is set */
  re: RegExp;
  path?: boolean;
}

const RULES: PathRule[] = [
  // private keys
  { kind: 'private-key', pattern: 'id_<type>', re: /^id_(rsa|dsa|ecdsa|ecdsa_sk|ed25519|ed25519_sk)$/ },
  { kind: 'private-key', pattern: 'ssh_host_*_key', re: /^ssh_host_[a-z0-9]+_key$/ },
  { kind: 'private-key', pattern: '*.pem', re: /\.pem$/i },
  { kind: 'private-key', pattern: '*.key', re: /\.key$/i },
  { kind: 'private-key', pattern: '*.p12 / *.pfx', re: /\.(p12|pfx)$/i },
  { kind: 'private-key', pattern: '*.jks / *.keystore', re: /\.(jks|keystore)$/i },
  { kind: 'private-key', pattern: '*.ppk', re: /\.ppk$/i },
  { kind: 'private-key', pattern: 'GnuPG private keys', re: /(^|\/)\.gnupg\/(private-keys-v1\.d\/[^/]+|secring\.gpg)$/, path: true },
  // dotenv
  { kind: 'env-file', pattern: '.env', re: /^\.env(\.[^/]+)?$/ },
  // credential files
  { kind: 'credentials', pattern: '.npmrc', re: /^\.npmrc$/ },
  { kind: 'credentials', pattern: '.yarnrc.yml', re: /^\.yarnrc\.yml$/ },
  { kind: 'credentials', pattern: '.pypirc', re: /^\.pypirc$/ },
  { kind: 'credentials', pattern: '.gem/credentials', re: /(^|\/)\.gem\/credentials$/, path: true },
  { kind: 'credentials', pattern: '.git-credentials', re: /^\.git-credentials$/ },
  { kind: 'credentials', pattern: '.netrc', re: /^[._]netrc$/ },
  { kind: 'credentials', pattern: '.pgpass', re: /^\.pgpass$/ },
  { kind: 'credentials', pattern: '.my.cnf', re: /^\.my\.cnf$/ },
  { kind: 'credentials', pattern: '.htpasswd', re: /^\.htpasswd$/ },
  { kind: 'credentials', pattern: '.vault-token', re: /^\.vault-token$/ },
  { kind: 'credentials', pattern: '.dockercfg', re: /^\.dockercfg$/ },
  { kind: 'credentials', pattern: '.docker/config.json', re: /(^|\/)\.docker\/config\.json$/, path: true },
  { kind: 'credentials', pattern: '.aws/credentials', re: /(^|\/)\.aws\/credentials$/, path: true },
  { kind: 'credentials', pattern: '.kube/config', re: /(^|\/)\.kube\/config$/, path: true },
  { kind: 'credentials', pattern: 'gcloud credentials', re: /(^|\/)\.config\/gcloud\/(credentials\.db|access_tokens\.db|legacy_credentials\/.+|application_default_credentials\.json)$/, path: true },
  { kind: 'credentials', pattern: 'application_default_credentials.json', re: /^application_default_credentials\.json$/ },
  { kind: 'credentials', pattern: '.azure tokens', re: /(^|\/)\.azure\/(accessTokens\.json|msal_token_cache\.(json|bin)|azureProfile\.json)$/, path: true },
  { kind: 'credentials', pattern: '.s3cfg', re: /^\.s3cfg$/ },
  { kind: 'credentials', pattern: '.boto', re: /^\.boto$/ },
  { kind: 'credentials', pattern: '.terraformrc / credentials.tfrc.json', re: /^(\.terraformrc|credentials\.tfrc\.json)$/ },
  { kind: 'credentials', pattern: '*.tfstate / *.tfvars', re: /\.(tfstate|tfvars)$/ },
  { kind: 'credentials', pattern: '.composer/auth.json', re: /(^|\/)\.?composer\/auth\.json$/, path: true },
  { kind: 'credentials', pattern: '.m2/settings-security.xml', re: /(^|\/)\.m2\/settings-security\.xml$/, path: true },
  { kind: 'credentials', pattern: '.config/gh/hosts.yml', re: /(^|\/)\.config\/gh\/hosts\.yml$/, path: true },
  { kind: 'credentials', pattern: 'credentials.json / secrets.json', re: /^(credentials|client_secrets?|secrets?)\.(json|ya?ml)$/ },
];

/**
 * `*.pem` and `*.key` are mostly public certificates in CA trust stores
 * (hundreds in any distro image), and `.env.example` is a template: not secrets.
 */
function benign(path: string, base: string, rule: PathRule): boolean {
  if (rule.kind === 'env-file') return /\.(example|sample|template|dist|defaults?)$/i.test(base);
  if (rule.pattern === '*.pem' || rule.pattern === '*.key') {
    if (/(^|\/)(certs|ca-certificates|ca-trust|certifi|trusted\.gpg\.d|keyrings)(\/|$)/.test(path)) return true;
    if (/(cert|chain|ca-bundle|cacert|\bca\b|pubkey|public|\.pub\.)/i.test(base)) return true;
  }
  return false;
}

/** Does this path name look like a secret? (a normalised layer path, no leading `/`) */
export function secretKind(path: string): SecretMatch | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  for (const r of RULES) {
    if (!r.re.test(r.path ? path : base)) continue;
    if (benign(path, base, r)) continue;
    return { kind: r.kind, pattern: r.pattern };
  }
  return null;
}

/** System files a hard link should never point at (besides secret-looking names). */
const SENSITIVE = /^(etc\/(shadow|gshadow|passwd|group|sudoers|master\.passwd|security\/opasswd)(-)?|etc\/sudoers\.d\/.+|root\/\.ssh\/.+|home\/[^/]+\/\.ssh\/.+|proc\/.+|sys\/.+|dev\/.+)$/;

export function isSensitivePath(path: string): boolean {
  return SENSITIVE.test(path) || secretKind(path) !== null;
}

/* ---------------------------------------------------------------- Env */

/** anywhere in the name */
const ENV_SUBSTRING = /PASSWORD|PASSWD|PASSPHRASE|SECRET/;
/** a whole `_`-separated component */
const ENV_WORDS = new Set(['PASS', 'PWD', 'TOKEN', 'TOKENS', 'APIKEY', 'CREDENTIAL', 'CREDENTIALS', 'PRIVATEKEY', 'ACCESSKEY', 'AUTHTOKEN', 'AUTHKEY']);
/** two adjacent components */
const ENV_PAIRS = new Set(['API KEY', 'PRIVATE KEY', 'ACCESS KEY', 'SECRET KEY', 'AUTH KEY', 'SIGNING KEY', 'ENCRYPTION KEY', 'MASTER KEY', 'SESSION KEY', 'CLIENT KEY', 'CONNECTION STRING', 'CONN STR']);
/** a last component that says the variable refers to a secret without holding it */
const ENV_REFERS = new Set(['FILE', 'PATH', 'DIR', 'ID', 'NAME', 'USER', 'USERNAME', 'TYPE', 'ALG', 'ALGORITHM', 'LENGTH', 'TTL', 'EXPIRY', 'HEADER', 'URL', 'ENDPOINT', 'HOST', 'PORT']);

/** Does this environment variable name say it holds a secret? (`PWD` alone is the shell's directory.) */
export function secretEnvName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split(/[_.-]+/).filter(Boolean);
  if (words.length === 0 || name === 'PWD' || name === 'OLDPWD') return false;
  if (ENV_REFERS.has(words[words.length - 1]!) && words.length > 1) return false;
  if (words.some((w) => ENV_SUBSTRING.test(w) || ENV_WORDS.has(w))) return true;
  for (let i = 1; i < words.length; i++) if (ENV_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
  return false;
}

/** `scheme://user:password@host` in any value */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

export interface EnvSecret {
  name: string;
  masked: string;
  why: 'name' | 'url-password';
}

/** Is this `Env` entry (`NAME=value`) a secret? Empty values are not. */
export function envSecret(entry: string): EnvSecret | null {
  const eq = entry.indexOf('=');
  const name = eq === -1 ? entry : entry.slice(0, eq);
  const value = eq === -1 ? '' : entry.slice(eq + 1);
  if (value === '') return null;
  if (secretEnvName(name)) return { name, masked: maskValue(value), why: 'name' };
  if (URL_WITH_PASSWORD.test(value)) {
    return { name, masked: value.replace(/(:\/\/[^/\s:@]+:)([^/\s@]+)(@)/gi, (_m, a: string, p: string, b: string) => `${a}${maskValue(p)}${b}`), why: 'url-password' };
  }
  return null;
}

/**
 * Never the full value: at most the first 4 characters (never more than a
 * quarter of it, none for short values) and the length.
 */
export function maskValue(v: string): string {
  const chars = [...v];
  const show = chars.length >= 16 ? 4 : chars.length >= 10 ? 2 : 0;
  return `${chars.slice(0, show).join('')}${'*'.repeat(8)} (${chars.length} chars)`;
}

/* ---------------------------------------------------------- build arguments */

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The build arguments Docker recorded in a history `created_by`. The classic
 * builder (and BuildKit, after `RUN `) writes a RUN that follows ARGs as
 * `|N KEY=value KEY2=value2 … /bin/sh -c cmd`, the N arguments sorted by name
 * and unquoted. A value ends where the next ` NAME=` starts; the last one ends
 * at the first space (a value holding a space then shows its first word only),
 * as does one followed by no other argument (N larger than what is written).
 * Not that form: none.
 */
export function buildArgsInCreatedBy(createdBy: string): { name: string; value: string }[] {
  const m = /^(?:RUN )?\|(\d+) /.exec(createdBy);
  if (!m) return [];
  const n = Number(m[1]);
  let rest = createdBy.slice(m[0].length);
  const out: { name: string; value: string }[] = [];
  for (let i = 0; i < n && n <= 1000; i++) {
    const name = ARG_NAME.exec(rest);
    if (!name) break;
    rest = rest.slice(name[0].length);
    const next = i < n - 1 ? / [A-Za-z_][A-Za-z0-9_]*=/.exec(rest) : null;
    const sp = rest.indexOf(' ');
    const end = next ? next.index : sp === -1 ? rest.length : sp;
    out.push({ name: name[0].slice(0, -1), value: rest.slice(0, end) });
    rest = rest.slice(end + 1);
  }
  return out;
}
