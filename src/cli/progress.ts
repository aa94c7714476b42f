import type { ReadProgress } from '../layer/reader.js';
import { colourEnabled } from './color.js';

/**
 * Progress of long layer reads, drawn on stderr when (and only when) stderr is
 * a terminal and --quiet is not given: one line per layer being read (bytes
 * done / total, rate) and an overall line (layers done, bytes, rate, ETA).
 * Redrawn in place at most 10 times a second, after a short delay so quick
 * commands never flash it, and erased before anything else is printed.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

interface Item { where: string; label: string; total: number; bytes: number; started: number | null; done: boolean }

const FRAME_MS = 100;
/** Nothing is drawn for reads shorter than this (LAYERDIG_PROGRESS_DELAY_MS overrides it, for tests). */
const DELAY_MS = Number(process.env.LAYERDIG_PROGRESS_DELAY_MS ?? 300);

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class ProgressView implements ReadProgress {
  private readonly items = new Map<string, Item>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt: number;
  private stopped = false;
  private readonly colour: boolean;

  constructor(private readonly out: ProgressStream, private readonly opts: { delayMs?: number; now?: () => number; env?: NodeJS.ProcessEnv } = {}) {
    this.startedAt = this.now();
    this.colour = colourEnabled(out, opts.env);
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  plan(items: { where: string; total: number; label?: string }[]): void {
    for (const it of items) {
      if (this.items.has(it.where)) continue;
      this.items.set(it.where, { where: it.where, label: it.label ?? `layer ${this.items.size + 1}`, total: it.total, bytes: 0, started: null, done: false });
    }
    this.schedule();
  }

  update(where: string, bytes: number, total: number): void {
    let it = this.items.get(where);
    if (!it) {
      it = { where, label: `layer ${this.items.size + 1}`, total, bytes: 0, started: null, done: false };
      this.items.set(where, it);
    }
    if (it.started === null) it.started = this.now();
    it.bytes = bytes;
    this.schedule();
  }

  done(where: string): void {
    const it = this.items.get(where);
    if (it) {
      it.done = true;
      it.bytes = it.total;
    }
    if ([...this.items.values()].every((i) => i.done)) this.clear();
    else this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const since = this.now() - this.startedAt;
    const delay = Math.max(0, (this.opts.delayMs ?? DELAY_MS) - since);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.render();
    }, this.drawn === 0 ? delay : FRAME_MS);
    this.timer.unref();
  }

  /** The lines of the current frame (exported for tests through render()). */
  frame(): string[] {
    const now = this.now();
    const all = [...this.items.values()];
    const width = Math.max(40, (this.out.columns || 80) - 1);
    const lines: string[] = [];
    for (const it of all) {
      if (it.done || it.started === null) continue;
      const secs = Math.max(0.001, (now - it.started) / 1000);
      const frac = it.total > 0 ? Math.min(1, it.bytes / it.total) : 0;
      const bar = this.bar(frac, 20);
      lines.push(`${bar} ${it.label}  ${size(it.bytes)} / ${size(it.total)}  ${size(it.bytes / secs)}/s  ${it.where}`);
    }
    const total = all.reduce((s, i) => s + i.total, 0);
    const done = all.reduce((s, i) => s + Math.min(i.bytes, i.total), 0);
    const secs = Math.max(0.001, (now - this.startedAt) / 1000);
    const rate = done / secs;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    lines.push(`${this.paint('dim', 'reading')} ${all.filter((i) => i.done).length}/${all.length} layers  ${size(done)} / ${size(total)}  ${size(rate)}/s  ETA ${duration(eta)}`);
    // never wrap: a wrapped line would break the redraw
    return lines.map((l) => this.fit(l, width));
  }

  private bar(frac: number, w: number): string {
    const full = Math.round(frac * w);
    return `[${this.paint('cyan', '#'.repeat(full))}${'.'.repeat(w - full)}]`;
  }

  private paint(code: 'cyan' | 'dim', s: string): string {
    if (!this.colour || s === '') return s;
    return `\x1b[${code === 'cyan' ? 36 : 2}m${s}\x1b[0m`;
  }

  private fit(line: string, width: number): string {
    // visible length ignores colour codes
    // eslint-disable-next-line no-control-regex
    const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
    if (visible.length <= width) return line;
    // drop colour and cut the end (the storage path) with an ellipsis
    return `${visible.slice(0, width - 1)}…`;
  }

  private erase(): string {
    if (this.drawn === 0) return '';
    return `${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ''}\r\x1b[J`;
  }

  render(): void {
    if (this.stopped) return;
    const lines = this.frame();
    this.out.write(`${this.erase()}${lines.join('\n')}`);
    this.drawn = lines.length;
  }

  /** Erase what was drawn; later updates draw again. */
  clear(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.drawn) this.out.write(this.erase());
    this.drawn = 0;
  }

  stop(): void {
    this.clear();
    this.stopped = true;
  }
}

let active: ProgressView[] = [];

/** A progress view on stderr when it is a terminal and not --quiet; else nothing. */
export function progressFor(a: { quiet?: boolean }, stream: ProgressStream = process.stderr): ProgressView | undefined {
  if (a.quiet || !stream.isTTY) return undefined;
  const v = new ProgressView(stream);
  active.push(v);
  return v;
}

/** Erase every progress display (before printing results, notes or warnings). */
export function clearProgress(): void {
  for (const v of active) v.stop();
  active = [];
}
