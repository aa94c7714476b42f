import { toDigest } from '../digest.js';
import { badArchive } from '../errors.js';
import type { ImageSource, RawConfig, RawHistory } from '../image/model.js';
import { isObject, layerSource, readJsonMember } from './common.js';
import { baseNameIn, type Format } from './format.js';

const MAX_CHAIN = 1000;

/**
 * Docker < 1.10 saves: no manifest.json; `repositories` maps repo → tag → v1
 * image id, and each `<id>/json` names its `parent`. There is no config and
 * no diffID: they are computed by hashing each `<id>/layer.tar`.
 */
export const dockerV1: Format = {
  name: 'docker-archive-v1',
  priority: 50,
  describe: 'repositories',
  isMetadata: (name) => baseNameIn(name, ['repositories', 'json', 'VERSION']),
  mediaFamily: 'docker',
  async detect(store) {
    return store.member('repositories') !== undefined && store.member('manifest.json') === undefined;
  },
  async load(store) {
    const { value } = await readJsonMember(store, 'repositories');
    if (!isObject(value)) throw badArchive(store.path, 'repositories', 'is not a JSON object');
    const tagsById = new Map<string, string[]>();
    for (const [repo, tags] of Object.entries(value)) {
      if (!isObject(tags)) continue;
      for (const [tag, id] of Object.entries(tags)) {
        if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw badArchive(store.path, 'repositories', `${repo}:${tag} has no valid image id`);
        tagsById.set(id, [...(tagsById.get(id) ?? []), `${repo}:${tag}`]);
      }
    }
    const out: ImageSource[] = [];
    for (const [topId, repoTags] of tagsById) {
      const chain: Record<string, unknown>[] = [];
      const measured: Record<string, { digest: string; size: number }> = {};
      const ids: string[] = [];
      let id: string | undefined = topId;
      while (id) {
        if (ids.includes(id) || ids.length > MAX_CHAIN) throw badArchive(store.path, `${id}/json`, 'parent chain loops');
        ids.push(id);
        const { value: j, member: read, digest, bytes } = await readJsonMember(store, `${id}/json`);
        measured[read] = { digest, size: bytes.length };
        if (!isObject(j)) throw badArchive(store.path, `${id}/json`, 'is not a JSON object');
        chain.push(j);
        id = typeof j.parent === 'string' && j.parent ? j.parent : undefined;
      }
      chain.reverse();
      ids.reverse();
      const layers = [];
      const history: RawHistory[] = [];
      for (let i = 0; i < chain.length; i++) {
        const j = chain[i]!;
        const cc = isObject(j.container_config) ? j.container_config : {};
        history.push({ created: typeof j.created === 'string' ? j.created : undefined, created_by: Array.isArray(cc.Cmd) ? cc.Cmd.join(' ') : '' });
        layers.push(await layerSource(store, `${ids[i]}/layer.tar`));
      }
      const top = chain[chain.length - 1]!;
      const config: RawConfig = {
        created: typeof top.created === 'string' ? top.created : undefined,
        architecture: typeof top.architecture === 'string' ? top.architecture : undefined,
        os: typeof top.os === 'string' ? top.os : undefined,
        config: isObject(top.config) ? top.config : null,
      };
      out.push({
        archive: store.path, format: 'docker-archive-v1',
        configDigest: toDigest(topId)!, configMember: `${topId}/json`, config,
        manifest: null, repoTags, refName: null, indexPlatform: null, layers,
        declaredDiffIds: null, v1History: history,
        notes: ['pre-1.10 save: no image config, so the image ID is the v1 image ID and diffIDs are computed by hashing each layer'],
        declared: { claims: [], measured, agreements: [], diffIds: 'computed' },
      });
    }
    return out;
  },
};
