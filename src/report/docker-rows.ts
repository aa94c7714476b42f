import type { Image } from '../image/model.js';
import { shortId } from '../digest.js';
import { humanSize } from './text.js';
import { namesFor } from './images.js';
import { createdSince, goTimeString, rfc3339Utc } from './time.js';
import { dockerEllipsis } from './docker-fields.js';

/**
 * The rows docker's formatter gives `--format` templates, with docker's field
 * names and docker's strings, so a template written for docker works here.
 */

export interface ImageRowOptions { trunc: boolean; now?: number }

/** `docker images` context: one per name (repo:tag), as docker lists an image once per tag. */
export function dockerImageRows(img: Image, size: number | null, o: ImageRowOptions): Record<string, string>[] {
  const id = o.trunc ? shortId(img.id) : img.id;
  const human = size === null ? 'N/A' : humanSize(size);
  return namesFor(img).map((n) => ({
    Containers: 'N/A',
    CreatedAt: goTimeString(img.created),
    CreatedSince: createdSince(img.created, o.now),
    Digest: img.manifestDigest ?? '<none>',
    ID: id,
    Repository: n.repository,
    SharedSize: 'N/A',
    Size: human,
    Tag: n.tag,
    UniqueSize: 'N/A',
    VirtualSize: human,
  }));
}

export interface HistoryRowOptions { trunc: boolean; human: boolean; now?: number }

export interface HistoryEntryIn {
  created: string | null;
  createdBy: string;
  comment: string | null;
  /** Docker's DiffSize of the layer the entry made (0 for an empty layer) */
  size: number | null;
}

/** `docker history` context, newest first; `ids` is the IMAGE column oldest first (report/history.ts historyIds). */
export function dockerHistoryRows(ids: string[], entries: HistoryEntryIn[], o: HistoryRowOptions): Record<string, string>[] {
  return entries.map((h, i) => {
    const createdBy = h.createdBy.replace(/\t/g, ' ');
    return {
      Comment: h.comment ?? '',
      CreatedAt: rfc3339Utc(h.created),
      CreatedBy: o.trunc ? dockerEllipsis(createdBy, 45) : createdBy,
      CreatedSince: o.human ? createdSince(h.created, o.now) : rfc3339Utc(h.created),
      ID: ids[i]!,
      Size: h.size === null ? 'N/A' : o.human ? humanSize(h.size) : String(h.size),
    };
  }).reverse();
}
