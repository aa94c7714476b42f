import { SupplyProblem } from './problem.js';

/**
 * The little DER (X.690) a certificate's extensions need: node:crypto's
 * X509Certificate verifies chains and signatures but does not expose arbitrary
 * extensions (Fulcio's OIDC issuer) nor the SAN in a form safe to split.
 */
export interface Tlv {
  tag: number;
  /** where the contents start and end in the buffer */
  start: number;
  end: number;
}

export function readTlv(b: Buffer, pos: number, limit = b.length): Tlv {
  if (pos + 2 > limit) throw new SupplyProblem('a DER value is cut short');
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new SupplyProblem('a DER value uses a multi-byte tag');
  let len = b[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new SupplyProblem('a DER length is malformed');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new SupplyProblem('a DER value runs past its container');
  return { tag, start, end };
}

export function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; p = out[out.length - 1]!.end) out.push(readTlv(b, p, t.end));
  return out;
}

export function oidString(b: Buffer, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  if (bytes.length === 0) return '';
  const arcs: number[] = [];
  let v = 0;
  for (const x of bytes) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** A certificate's extensions by OID: the extnValue contents (what the OCTET STRING wraps). */
export function extensions(der: Buffer): Map<string, Buffer> {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new SupplyProblem('the certificate has no tbsCertificate');
  const out = new Map<string, Buffer>();
  const ext = children(der, tbs).find((t) => t.tag === 0xa3); // [3] EXPLICIT Extensions
  if (!ext) return out;
  const seq = children(der, ext)[0];
  if (!seq) return out;
  for (const e of children(der, seq)) {
    const parts = children(der, e);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (!id || id.tag !== 0x06 || !value || value.tag !== 0x04) continue;
    out.set(oidString(der, id), der.subarray(value.start, value.end));
  }
  return out;
}
