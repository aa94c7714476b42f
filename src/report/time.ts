/**
 * Times as docker prints them: go-units' HumanDuration + " ago" for CREATED,
 * RFC 3339 in UTC for `-H=false` and JSON.
 */

/** go-units HumanDuration: the approximation docker shows ("3 weeks", "About an hour"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // hours round (1h31m is "2 hours"); years truncate, as go-units does
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** docker's CREATED column: "3 years ago"; an unknown or unparsable time is "N/A". */
export function createdSince(iso: string | null | undefined, now: number = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return 'N/A';
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

/** RFC 3339 in UTC, seconds precision as `docker history -H=false` prints (`2023-11-15T03:13:20Z`). */
export function rfc3339Utc(iso: string | null | undefined): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return iso ?? '';
  return new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** `docker images --format '{{.CreatedAt}}'`: Go's time.String in UTC (`2023-11-15 03:13:20 +0000 UTC`). */
export function goTimeString(iso: string | null | undefined): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '';
  return `${new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`;
}
