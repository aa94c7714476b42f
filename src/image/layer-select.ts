import { idPrefix, shortId } from '../digest.js';
import { LayerdigError } from '../errors.js';
import type { Image, Layer } from './model.js';

/**
 * `--layer N|DIFFID`: a 0-based index (as `layerdig layers` prints it), or a
 * full or unique-prefix diffID (with or without `sha256:`).
 */
export function selectLayer(img: Image, sel: string | number): Layer {
  const s = String(sel).trim();
  const candidates = () => img.layers.map((l) => `${l.index}  ${l.diffId}`);
  if (/^\d+$/.test(s) && s.length < 6) {
    const l = img.layers[Number(s)];
    if (!l) throw new LayerdigError('E_NOT_FOUND', `the image has ${img.layers.length} layers (0–${img.layers.length - 1}); there is no layer ${s}`, candidates());
    return l;
  }
  const prefix = idPrefix(s);
  if (!prefix) throw new LayerdigError('E_USAGE', `--layer takes a layer index or a diffID, not "${s}"`);
  const hits = [...new Map(img.layers.filter((l) => l.diffId.slice(7).startsWith(prefix)).map((l) => [l.diffId, l])).values()];
  if (hits.length === 0) throw new LayerdigError('E_NOT_FOUND', `no layer of the image has a diffID starting ${shortId(`sha256:${prefix}`)}`, candidates());
  if (hits.length > 1) throw new LayerdigError('E_AMBIGUOUS', `"${s}" matches ${hits.length} layers' diffIDs`, candidates());
  return hits[0]!;
}
