import { isRecord, str, SupplyProblem } from './problem.js';

/** DSSE (github.com/secure-systems-lab/dsse) envelope, as cosign stores attestations. */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  sig: Buffer;
}

export interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: DsseSignature[];
}

// DSSE says base64 "standard or URL-safe"; anything else is not an envelope
const B64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function b64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !B64.test(v)) throw new SupplyProblem(`the DSSE envelope's ${what} is not base64`);
  return Buffer.from(v, 'base64');
}

export function decodeEnvelope(v: unknown): Envelope {
  if (!isRecord(v)) throw new SupplyProblem('the DSSE envelope is not a JSON object');
  const payloadType = str(v.payloadType);
  if (payloadType === null) throw new SupplyProblem('the DSSE envelope has no payloadType');
  const payload = b64(v.payload, 'payload');
  const sigs = Array.isArray(v.signatures) ? v.signatures : [];
  const signatures = sigs.map((s, i) => {
    if (!isRecord(s)) throw new SupplyProblem(`the DSSE envelope's signatures[${i}] is not an object`);
    return { keyid: str(s.keyid) ?? '', sig: b64(s.sig, `signatures[${i}].sig`) };
  });
  return { payloadType, payload, signatures };
}

/**
 * DSSE v1 pre-authentication encoding — what a DSSE signature signs:
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes.
 */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}
