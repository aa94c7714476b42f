import type { Digest } from '../digest.js';

/**
 * What Distribution's `registry garbage-collect` would delete from a registry
 * storage, computed as registry 2.8 (Debian's docker-registry) does, so the
 * answer equals its `--dry-run`: every manifest revision of every repository
 * is marked with the blobs it references directly (an index: its manifests; a
 * manifest: config and layers); with `--delete-untagged`, a revision no tag
 * points at is deleted instead and marks nothing (2.8 deletes the platform
 * manifests of a tagged index this way too; registry 3 keeps them). Every blob
 * left unmarked is garbage.
 */

export interface GarbageInput {
  repositories: readonly {
    name: string;
    /** `_layers` links: which repositories a blob was pushed to */
    layers: readonly { digest: Digest | null }[];
    /** manifests deleted through the API (a revision directory without its link) */
    deleted: readonly Digest[];
    /** unfinished uploads */
    uploads: readonly { member: string; size: number }[];
    tags: readonly { tag: string; digest: Digest | null; problem: string | null }[];
    revisions: readonly { digest: Digest | null; problem: string | null; member: string }[];
  }[];
  blobs: ReadonlyMap<Digest, { member: string; size: number }>;
  /** manifests as read: what each references directly, an index's manifests */
  manifests: ReadonlyMap<Digest, { references: readonly Digest[]; children: readonly Digest[] }>;
}

export interface GarbageBlob {
  digest: Digest;
  member: string;
  size: number;
  /** repositories whose `_layers` link it (where it was pushed) */
  linkedIn: string[];
  /** repositories where it is a manifest deleted through the API */
  deletedIn: string[];
  /** with --delete-untagged: repositories where it is an untagged manifest deleted now */
  untaggedIn: string[];
}

export interface DeletedManifest {
  repository: string;
  digest: Digest;
  /** tagged indexes of the repository that list it: deleting it breaks them (registry 2.8) */
  listedBy: { digest: Digest; tags: string[] }[];
}

export interface GarbageResult {
  deleteUntagged: boolean;
  /** blobs the store holds, and their bytes */
  blobCount: number;
  storeBytes: number;
  /** distinct digests marked (the registry's "N blobs marked") */
  marked: number;
  garbage: GarbageBlob[];
  garbageBytes: number;
  /** with --delete-untagged: the manifests deleted */
  manifests: DeletedManifest[];
  /** unfinished uploads: not garbage-collect's to delete (the registry's upload purging removes them by age), but bytes on disk */
  uploads: { repository: string; member: string; size: number }[];
  uploadBytes: number;
  /** revisions whose manifest could not be read: the registry's own run stops on them ("failed to mark") */
  unmarkable: { repository: string; digest: Digest | null; member: string; why: string }[];
}

export function registryGarbage(input: GarbageInput, deleteUntagged: boolean): GarbageResult {
  const marked = new Set<Digest>();
  const manifests: DeletedManifest[] = [];
  const unmarkable: GarbageResult['unmarkable'] = [];
  for (const r of input.repositories) {
    const tagsOf = (d: Digest) => r.tags.filter((t) => t.digest === d).map((t) => t.tag).sort();
    for (const rev of r.revisions) {
      const d = rev.digest;
      const refs = d ? input.manifests.get(d) : undefined;
      if (!d || !refs) {
        unmarkable.push({ repository: r.name, digest: d, member: rev.member, why: rev.problem ?? 'the manifest cannot be read' });
        continue;
      }
      if (deleteUntagged && tagsOf(d).length === 0) {
        const listedBy = [...new Set(r.tags.map((t) => t.digest).filter((x): x is Digest => x !== null))]
          .filter((x) => input.manifests.get(x)?.children.includes(d))
          .map((x) => ({ digest: x, tags: tagsOf(x) }));
        manifests.push({ repository: r.name, digest: d, listedBy });
        continue;
      }
      marked.add(d);
      for (const x of refs.references) marked.add(x);
    }
  }
  const linkedIn = new Map<Digest, string[]>();
  for (const r of input.repositories) {
    for (const l of r.layers) if (l.digest) linkedIn.set(l.digest, [...(linkedIn.get(l.digest) ?? []), r.name]);
  }
  const uploads = input.repositories.flatMap((r) => r.uploads.map((u) => ({ repository: r.name, ...u })));
  const deletedIn = new Map<Digest, string[]>();
  for (const r of input.repositories) for (const d of r.deleted) deletedIn.set(d, [...(deletedIn.get(d) ?? []), r.name]);
  const garbage: GarbageBlob[] = [];
  let storeBytes = 0;
  for (const [digest, b] of input.blobs) {
    storeBytes += b.size;
    if (!marked.has(digest)) garbage.push({ digest, member: b.member, size: b.size, linkedIn: linkedIn.get(digest) ?? [], deletedIn: deletedIn.get(digest) ?? [],
      untaggedIn: manifests.filter((m) => m.digest === digest).map((m) => m.repository) });
  }
  garbage.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  return {
    deleteUntagged, blobCount: input.blobs.size, storeBytes, marked: marked.size,
    garbage, garbageBytes: garbage.reduce((s, g) => s + g.size, 0), manifests, unmarkable, uploads,
    uploadBytes: uploads.reduce((s, u) => s + u.size, 0),
  };
}
