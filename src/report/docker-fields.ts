/**
 * Column titles docker prints for `--format 'table …'` (the header row is the
 * template run over these), and which fields of `docker image inspect` are Go
 * maps or slices (a nil one prints `map[]` / `[]`, though JSON says null).
 */
export const DOCKER_IMAGES_HEADERS: Record<string, string> = {
  Containers: 'CONTAINERS', CreatedAt: 'CREATED AT', CreatedSince: 'CREATED', Digest: 'DIGEST', ID: 'IMAGE ID',
  Repository: 'REPOSITORY', SharedSize: 'SHARED SIZE', Size: 'SIZE', Tag: 'TAG', UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

export const DOCKER_HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

const CONFIG_MAPS = ['ExposedPorts', 'Volumes', 'Labels'];
const CONFIG_SLICES = ['Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell'];
export const INSPECT_NIL_KINDS: Record<string, 'map' | 'slice'> = Object.fromEntries([
  ...['Config', 'ContainerConfig'].flatMap((c) => [
    ...CONFIG_MAPS.map((k) => [`${c}.${k}`, 'map'] as const),
    ...CONFIG_SLICES.map((k) => [`${c}.${k}`, 'slice'] as const),
  ]),
  ['RepoTags', 'slice'], ['RepoDigests', 'slice'], ['RootFS.Layers', 'slice'], ['GraphDriver.Data', 'map'],
]);

/** docker's stringutils.Ellipsis: at most `max` characters, the last one `…` when cut. */
export function dockerEllipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
