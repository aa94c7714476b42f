import type { CommandModule } from '../argv/types.js';
import { emit, globalOptions, openAll, type GlobalArgs } from '../context.js';
import { containersOf } from '../container-diff.js';
import type { Container } from '../../format/docker-containers.js';
import { ellipsis } from '../../report/text.js';
import { table } from '../../report/table.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { inputs: string[] }

/** `2 hours ago`, as docker's go-units HumanDuration words it. */
function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  const h = s / 3600;
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${Math.floor(s)} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60) <= 1 ? 'About a minute' : `${Math.round(s / 60)} minutes`} ago`;
  if (h < 48) return `${Math.round(h) === 1 ? 'About an hour' : `${Math.round(h)} hours`} ago`;
  if (h < 24 * 14) return `${Math.floor(h / 24)} days ago`;
  if (h < 24 * 60) return `${Math.floor(h / 24 / 7)} weeks ago`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months ago`;
  return `${Math.floor(h / 24 / 365)} years ago`;
}

/** docker ps's STATUS words, from the state the data-root recorded. */
export function statusOf(c: Container): string {
  switch (c.state) {
    case 'created': return 'Created';
    case 'exited': return `Exited (${c.exitCode}) ${ago(c.finishedAt)}`;
    case 'running': return `Up ${ago(c.startedAt).replace(/ ago$/, '')} (when the data-root was copied)`;
    case 'paused': return 'Paused (when the data-root was copied)';
    case 'restarting': return `Restarting (${c.exitCode})`;
    case 'dead': return 'Dead';
    // podman keeps the state in its own database (libpod/bolt_state.db), not in the image store
    case 'unknown': return 'Unknown (podman\'s state is not in the image store)';
    default: return 'Removal In Progress';
  }
}

export const containers: CommandModule<object, Args> = {
  ...SPECS.containers,
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Docker data-roots, containerd roots or podman stores (a copied /var/lib/docker, /var/lib/containerd or /var/lib/containers/storage), or tars of them' })
    .example('$0 containers /mnt/evidence/var/lib/docker', 'every container, newest first')
    .example('$0 diff docker.tgz --container web', 'what one container changed, as docker diff') as never,
  async handler(a) {
    const archives = await openAll(a, a.inputs, false);
    const rows: (Container & { archive: string; status: string })[] = [];
    try {
      for (const ar of archives) {
        for (const c of await containersOf(ar)) rows.push({ archive: ar.path, ...c, status: statusOf(c) });
      }
    } finally {
      for (const ar of archives) ar.close();
    }
    const full = !a.trunc;
    emit(a, rows, () => table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'], rows.map((c) => [
      full ? c.id : c.id.slice(0, 12), c.imageRef, `"${ellipsis(c.command, 20, full)}"`, ago(c.created), c.status, c.name,
    ])));
  },
};
