import { toDigest, type Digest } from '../digest.js';
import { badArchive } from '../errors.js';
import { limits } from '../limits.js';
import { childrenOf, parseJson, type Store } from '../store/store.js';
import { isObject } from './common.js';
import { findDataRoot, readText, type DataRoot } from './docker-data-root.js';

/**
 * The containers of a Docker data-root: `containers/<id>/config.v2.json`
 * (name, image, command, created, state) and `image/<driver>/layerdb/mounts/
 * <id>/{mount-id,init-id,parent}` (where its writable layer lives).
 */
export interface Container {
  id: string;
  name: string;
  /** the image ID the container was made from */
  imageId: Digest | null;
  /** the image as the user named it (`docker run app:1`) */
  imageRef: string;
  /** Path + Args, as `docker ps` joins them */
  command: string;
  created: string | null;
  /** `unknown`: a podman container (its state is in podman's database, not in the image store) */
  state: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing' | 'unknown';
  exitCode: number;
  startedAt: string | null;
  finishedAt: string | null;
  driver: string;
  /** the writable layer's directory and its init layer's (null when the layer store has no mount entry) */
  mountId: string | null;
  initId: string | null;
  /** chainID of the image's top layer (`mounts/<id>/parent`) */
  parent: Digest | null;
  /** containerd: the namespace, the runtime, and the writable (active overlayfs) snapshot's upper directory */
  namespace?: string;
  runtime?: string;
  rwDir?: string;
  /** vfs without an init layer (podman): the layer directory the container's full copy is compared with */
  lowerId?: string | null;
}

/** a layer directory's name as the layer store records it, or null when it could climb out (`../x`) */
const plainId = (s: string | null) => (s !== null && /^[0-9a-zA-Z_.-]+$/.test(s) && !s.startsWith('.') ? s : null);

const ZERO_TIME = '0001-01-01T00:00:00Z';
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const time = (v: unknown) => (typeof v === 'string' && v !== '' && v !== ZERO_TIME ? v : null);

/** docker's State.StateString(): the one word `docker ps --format {{.State}}` prints. */
function stateOf(s: Record<string, unknown>): Container['state'] {
  if (s.Running === true) return s.Paused === true ? 'paused' : s.Restarting === true ? 'restarting' : 'running';
  if (s.RemovalInProgress === true) return 'removing';
  if (s.Dead === true) return 'dead';
  return time(s.StartedAt) === null ? 'created' : 'exited';
}

export async function loadContainers(store: Store, root: DataRoot | null = findDataRoot(store)): Promise<Container[]> {
  if (!root) return [];
  const out: Container[] = [];
  for (const dir of childrenOf(store, `${root.prefix}containers`)) {
    const member = `${dir.name}/config.v2.json`;
    if (dir.type !== 'dir' || store.member(member)?.type !== 'file') continue;
    const v = parseJson(await store.readBytes(member, limits().maxJsonBytes), store.path, member);
    if (!isObject(v)) throw badArchive(store.path, member, 'is not a JSON object');
    const cfg = isObject(v.Config) ? v.Config : {};
    const st = isObject(v.State) ? v.State : {};
    // names from the documents become paths: only plain ids and driver names are used
    const dirId = dir.name.slice(dir.name.lastIndexOf('/') + 1);
    const id = /^[0-9a-f]{64}$/.test(str(v.ID)) ? str(v.ID) : dirId;
    const driver = /^[a-z0-9_-]+$/.test(str(v.Driver)) ? str(v.Driver) : root.drivers[0] ?? '';
    const mounts = `${root.prefix}image/${driver}/layerdb/mounts/${id}`;
    const args = Array.isArray(v.Args) ? v.Args.map(String) : [];
    out.push({
      id,
      name: str(v.Name).replace(/^\//, ''),
      imageId: toDigest(str(v.Image)),
      imageRef: str(cfg.Image) || str(v.Image),
      command: [str(v.Path), ...args].filter((x, i) => i > 0 || x !== '').join(' '),
      created: time(v.Created),
      state: stateOf(st),
      exitCode: typeof st.ExitCode === 'number' ? st.ExitCode : 0,
      startedAt: time(st.StartedAt),
      finishedAt: time(st.FinishedAt),
      driver,
      mountId: plainId(await readText(store, `${mounts}/mount-id`)),
      initId: plainId(await readText(store, `${mounts}/init-id`)),
      parent: toDigest(await readText(store, `${mounts}/parent`) ?? ''),
    });
  }
  // newest first, as `docker ps -a`
  return out.sort((a, b) => String(b.created).localeCompare(String(a.created)));
}

/** The container `sel` names: full or unique prefix of the ID, or its name. */
export function selectContainer(all: Container[], sel: string): Container | null {
  const s = sel.replace(/^\//, '');
  return all.find((c) => c.name === s || c.id === s) ?? (() => {
    const hits = all.filter((c) => s.length >= 1 && c.id.startsWith(s));
    return hits.length === 1 ? hits[0]! : null;
  })();
}
