/**
 * The subset of Go's text/template that docker's `--format` users type, with
 * docker's functions (json, join, split, lower, upper, title, pad, truncate)
 * and Go's builtins (index, len, printf, print, println, eq, ne, lt, le, gt,
 * ge, and, or, not). Values print as Go's fmt %v does (`[a b]`, `map[k:v]`,
 * `<no value>`). A template is parsed once, before any input is read, so a
 * bad template is a usage error and nothing runs.
 */

export class TemplateError extends Error {}

/**
 * A nil map or slice of docker's typed structs: prints `map[]` / `[]` as Go
 * does, encodes as JSON null, is false and empty. JSON alone cannot tell them
 * from a nil pointer, so callers name the paths (`nilKinds`).
 */
class GoNil {
  constructor(readonly kind: 'map' | 'slice') {}
  toJSON(): null { return null; }
}

/** Rows of a docker formatter context: `{{json .}}` sorts their keys and escapes HTML as docker's MarshalJSON does. */
const contexts = new WeakSet<object>();

function goJson(v: unknown): string {
  const ctx = v !== null && typeof v === 'object' && contexts.has(v);
  const value = ctx ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v;
  let s = JSON.stringify(value ?? null).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (ctx) s = s.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return s;
}

type Node =
  | { t: 'text'; s: string }
  | { t: 'action'; p: Pipeline }
  | { t: 'if'; p: Pipeline; then: Node[]; else: Node[] }
  | { t: 'range'; p: Pipeline; vars: string[]; body: Node[]; else: Node[] }
  | { t: 'with'; p: Pipeline; body: Node[]; else: Node[] };

interface Pipeline { decl: string[]; cmds: Arg[][] }
type Arg =
  | { k: 'field'; base: 'dot' | string; path: string[] } // .A.B, $x.A, $.A
  | { k: 'lit'; v: unknown }
  | { k: 'ident'; name: string }
  | { k: 'pipe'; p: Pipeline; path: string[] };

// ---- lexing of one action ----------------------------------------------------

type Tok = { k: 'field' | 'var' | 'ident' | 'str' | 'num' | 'pipe' | 'lp' | 'rp' | 'decl' | 'comma'; v: string };

function lexAction(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '|') { out.push({ k: 'pipe', v: c }); i++; continue; }
    if (c === '(') { out.push({ k: 'lp', v: c }); i++; continue; }
    if (c === ')') { out.push({ k: 'rp', v: c }); i++; continue; }
    if (c === ',') { out.push({ k: 'comma', v: c }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { out.push({ k: 'decl', v: ':=' }); i += 2; continue; }
    if (c === '=') { out.push({ k: 'decl', v: '=' }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      // docker turns a typed `\t` into a real tab before parsing: a raw control character is allowed
      const lit = src.slice(i, j + 1).replace(/[\u0000-\u001f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
      try {
        out.push({ k: 'str', v: JSON.parse(lit) as string });
      } catch {
        throw new TemplateError(`bad string literal ${src.slice(i, j + 1)}`);
      }
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw string');
      out.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const m = /^(\$[A-Za-z0-9_]*|\.[A-Za-z0-9_.]*|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) throw new TemplateError(`unexpected "${c}" in action`);
    const w = m[1]!;
    out.push({ k: w.startsWith('$') ? 'var' : w.startsWith('.') ? 'field' : /^-?\d/.test(w) ? 'num' : 'ident', v: w });
    i += w.length;
  }
  return out;
}

// ---- parsing -----------------------------------------------------------------

function parsePipeline(toks: Tok[], pos: { i: number }, stopAtRp: boolean): Pipeline {
  const decl: string[] = [];
  // `$x := …` or `$i, $v := …` (range)
  let j = pos.i;
  const names: string[] = [];
  while (toks[j]?.k === 'var') {
    names.push(toks[j]!.v);
    if (toks[j + 1]?.k === 'comma') { j += 2; continue; }
    if (toks[j + 1]?.k === 'decl') { decl.push(...names); pos.i = j + 2; }
    break;
  }
  const cmds: Arg[][] = [];
  let cur: Arg[] = [];
  while (pos.i < toks.length) {
    const t = toks[pos.i]!;
    if (t.k === 'rp') {
      if (!stopAtRp) throw new TemplateError('unexpected ")"');
      break;
    }
    pos.i++;
    if (t.k === 'pipe') {
      if (!cur.length) throw new TemplateError('missing command before "|"');
      cmds.push(cur);
      cur = [];
      continue;
    }
    cur.push(parseOperand(t, toks, pos));
  }
  if (!cur.length) throw new TemplateError('missing value for command');
  cmds.push(cur);
  return { decl, cmds };
}

function fieldPath(s: string): string[] {
  return s.split('.').filter(Boolean);
}

function parseOperand(t: Tok, toks: Tok[], pos: { i: number }): Arg {
  switch (t.k) {
    case 'field': return { k: 'field', base: 'dot', path: fieldPath(t.v) };
    case 'var': {
      const dot = t.v.indexOf('.');
      return dot < 0 ? { k: 'field', base: t.v, path: [] } : { k: 'field', base: t.v.slice(0, dot), path: fieldPath(t.v.slice(dot)) };
    }
    case 'str': return { k: 'lit', v: t.v };
    case 'num': return { k: 'lit', v: Number(t.v) };
    case 'ident':
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'nil') return { k: 'lit', v: null };
      return { k: 'ident', name: t.v };
    case 'lp': {
      const p = parsePipeline(toks, pos, true);
      if (toks[pos.i]?.k !== 'rp') throw new TemplateError('unclosed "("');
      pos.i++;
      // (pipeline).Field
      let path: string[] = [];
      const next = toks[pos.i];
      if (next?.k === 'field' && next.v !== '.') { path = fieldPath(next.v); pos.i++; }
      return { k: 'pipe', p, path };
    }
    default: throw new TemplateError(`unexpected "${t.v}"`);
  }
}

function parse(src: string): Node[] {
  // split into text and actions, honouring {{- and -}} trim markers
  const parts: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { parts.push({ text: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let body = open + 2;
    if (src.startsWith('- ', body) || src.startsWith('-\t', body) || src.startsWith('-\n', body)) { text = text.replace(/\s+$/, ''); body += 1; }
    parts.push({ text });
    const close = src.indexOf('}}', body);
    if (close < 0) throw new TemplateError('unclosed action');
    let inner = src.slice(body, close);
    i = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      const m = /^\s*/.exec(src.slice(i))!;
      i += m[0].length;
    }
    parts.push({ action: inner.trim() });
  }

  const stack: { node: Node | null; nodes: Node[]; inElse: boolean }[] = [{ node: null, nodes: [], inElse: false }];
  const push = (n: Node) => {
    const top = stack[stack.length - 1]!;
    const target = top.node && top.inElse ? elseOf(top.node) : top.nodes;
    target.push(n);
  };
  for (const part of parts) {
    if ('text' in part) { if (part.text) push({ t: 'text', s: part.text }); continue; }
    const a = part.action;
    if (a.startsWith('/*')) continue; // comment
    const word = /^([a-z]+)\b/.exec(a)?.[1];
    const rest = word ? a.slice(word.length) : a;
    if (word === 'if' || word === 'with' || word === 'range') {
      const toks = lexAction(rest);
      const p = parsePipeline(toks, { i: 0 }, false);
      const n: Node = word === 'if' ? { t: 'if', p, then: [], else: [] }
        : word === 'with' ? { t: 'with', p, body: [], else: [] }
          : { t: 'range', p: { decl: [], cmds: p.cmds }, vars: p.decl, body: [], else: [] };
      push(n);
      stack.push({ node: n, nodes: bodyOf(n), inElse: false });
    } else if (word === 'else') {
      const top = stack[stack.length - 1]!;
      if (!top.node || top.inElse) throw new TemplateError('unexpected {{else}}');
      top.inElse = true;
      const m = /^\s*if\b(.*)$/s.exec(rest);
      if (m) { // {{else if x}} nests an if in the else branch, closed by the same {{end}}
        const n: Node = { t: 'if', p: parsePipeline(lexAction(m[1]!), { i: 0 }, false), then: [], else: [] };
        elseOf(top.node).push(n);
        stack.push({ node: n, nodes: n.then, inElse: false });
        (stack[stack.length - 1] as { chained?: boolean }).chained = true;
      }
    } else if (word === 'end') {
      if (stack.length === 1) throw new TemplateError('unexpected {{end}}');
      while ((stack.pop() as { chained?: boolean }).chained) { /* an else-if chain ends with its if */ }
    } else if (word === 'define' || word === 'template' || word === 'block' || word === 'break' || word === 'continue') {
      throw new TemplateError(`{{${word}}} is not supported`);
    } else {
      push({ t: 'action', p: parsePipeline(lexAction(a), { i: 0 }, false) });
    }
  }
  if (stack.length !== 1) throw new TemplateError('missing {{end}}');
  return stack[0]!.nodes;
}

function bodyOf(n: Node): Node[] {
  return n.t === 'if' ? n.then : n.t === 'range' || n.t === 'with' ? n.body : [];
}
function elseOf(n: Node): Node[] {
  return n.t === 'if' || n.t === 'range' || n.t === 'with' ? n.else : [];
}

// ---- printing like Go's fmt %v ----------------------------------------------

export function goString(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (v instanceof GoNil) return v.kind === 'map' ? 'map[]' : '[]';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `map[${keys.map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v instanceof GoNil) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

const FUNCS: Record<string, (...a: unknown[]) => unknown> = {
  // docker's json: encoding/json without HTML escaping, no trailing newline
  json: (v) => goJson(v),
  join: (list, sep) => (Array.isArray(list) ? list.map((x) => goString(x)).join(String(sep)) : goString(list)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, l, r) => ' '.repeat(Number(l)) + String(s) + ' '.repeat(Number(r)),
  truncate: (s, n) => [...String(s)].slice(0, Number(n)).join(''),
  index: (v, ...keys) => keys.reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[String(k)]), v),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' && !(v instanceof GoNil) ? Object.keys(v).length : 0),
  print: (...a) => a.map(goString).join(''),
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  printf: (f, ...a) => {
    let k = 0;
    return String(f).replace(/%([-+ 0#]*\d*(?:\.\d+)?)([svdqt%])/g, (_m, _flags: string, verb: string) => {
      if (verb === '%') return '%';
      const v = a[k++];
      return verb === 'q' ? JSON.stringify(goString(v)) : goString(v);
    });
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => cmp(a, b) < 0,
  le: (a, b) => cmp(a, b) <= 0,
  gt: (a, b) => cmp(a, b) > 0,
  ge: (a, b) => cmp(a, b) >= 0,
  not: (a) => !truthy(a),
};

// ---- execution --------------------------------------------------------------

interface Scope { dot: unknown; vars: Map<string, unknown>; nilKinds: Record<string, 'map' | 'slice'>; paths: WeakMap<object, string> }

function lookup(v: unknown, path: string[], s: Scope): unknown {
  let cur = v;
  let at = v !== null && typeof v === 'object' ? s.paths.get(v) ?? '' : '';
  for (const name of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || Array.isArray(cur) || !(name in (cur as object))) {
      const known = cur && typeof cur === 'object' && !Array.isArray(cur) ? Object.keys(cur as object) : [];
      throw new TemplateError(`can't evaluate field ${name}${known.length ? ` (fields: ${known.join(', ')})` : ''}`);
    }
    cur = (cur as Record<string, unknown>)[name];
    at = at ? `${at}.${name}` : name;
    if (cur !== null && typeof cur === 'object') s.paths.set(cur, at);
  }
  if (cur === null && path.length && s.nilKinds[at]) return new GoNil(s.nilKinds[at]!);
  return cur;
}

function evalArg(a: Arg, s: Scope, final: unknown, hasFinal: boolean): unknown {
  switch (a.k) {
    case 'lit': return a.v;
    case 'field': {
      const base = a.base === 'dot' ? s.dot : a.base === '$' ? s.vars.get('$') : s.vars.get(a.base);
      if (a.base !== 'dot' && !s.vars.has(a.base)) throw new TemplateError(`undefined variable "${a.base}"`);
      return lookup(base, a.path, s);
    }
    case 'pipe': return lookup(evalPipeline(a.p, s), a.path, s);
    case 'ident': {
      const f = FUNCS[a.name];
      if (!f) throw new TemplateError(`function "${a.name}" not defined`);
      return hasFinal ? f(final) : f();
    }
  }
}

function evalCommand(cmd: Arg[], s: Scope, final: unknown, hasFinal: boolean): unknown {
  const head = cmd[0]!;
  if (head.k === 'ident') {
    const f = FUNCS[head.name];
    if (!f) throw new TemplateError(`function "${head.name}" not defined`);
    const args = cmd.slice(1).map((a) => evalArg(a, s, undefined, false));
    if (hasFinal) args.push(final);
    return f(...args);
  }
  if (cmd.length > 1 || hasFinal) throw new TemplateError('can\'t give argument to non-function');
  return evalArg(head, s, undefined, false);
}

function evalPipeline(p: Pipeline, s: Scope): unknown {
  let v: unknown;
  p.cmds.forEach((c, i) => { v = evalCommand(c, s, v, i > 0); });
  for (const d of p.decl) s.vars.set(d, v);
  return v;
}

function exec(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case 'text': out.push(n.s); break;
      case 'action': {
        const v = evalPipeline(n.p, s);
        if (!n.p.decl.length) out.push(v === undefined || v === null ? '<no value>' : goString(v));
        break;
      }
      case 'if': exec(truthy(evalPipeline(n.p, s)) ? n.then : n.else, s, out); break;
      case 'with': {
        const v = evalPipeline(n.p, s);
        if (truthy(v)) exec(n.body, { ...s, dot: v }, out); else exec(n.else, s, out);
        break;
      }
      case 'range': {
        const v = evalPipeline(n.p, s);
        const items: [unknown, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x])
          : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]) : [];
        if (!items.length) { exec(n.else, s, out); break; }
        for (const [k, x] of items) {
          const vars = new Map(s.vars);
          if (n.vars.length === 1) vars.set(n.vars[0]!, x);
          if (n.vars.length === 2) { vars.set(n.vars[0]!, k); vars.set(n.vars[1]!, x); }
          exec(n.body, { ...s, dot: x, vars }, out);
        }
        break;
      }
    }
  }
}

export interface Template {
  /** `table …`: a header row and tab-aligned columns, as docker prints */
  readonly table: boolean;
  render(dot: unknown, nilKinds?: Record<string, 'map' | 'slice'>): string;
}

/**
 * Parse a docker-style `--format`: an optional `table` prefix, `\t` and `\n`
 * typed as two characters mean a tab and a newline (docker replaces them).
 */
export function compileTemplate(format: string): Template {
  let f = format;
  const table = /^table(\s|$)/.test(f);
  if (table) f = f.slice(5);
  if (table) f = f.trim();
  f = f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  let nodes: Node[];
  try {
    nodes = parse(f);
  } catch (e) {
    throw new TemplateError(`template parsing error: ${(e as Error).message}`);
  }
  return {
    table,
    render(dot, nilKinds = {}) {
      const out: string[] = [];
      exec(nodes, { dot, vars: new Map([['$', dot]]), nilKinds, paths: new WeakMap() }, out);
      return out.join('');
    },
  };
}

/**
 * Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1,
 * padding 3, padchar ' '): each tab-terminated cell is padded to its column's
 * widest cell + 3, at least 10; the last cell of a line is not padded.
 */
export function tabwrite(lines: string[]): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, [...r[i]!].length);
  }
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(Math.max((widths[i] ?? 0) + 3, 10) - ([...c].length - c.length)) : c)).join('')).join('\n');
}

/**
 * Render rows through a template. For `table`, the header row is the same
 * template executed over `headers` (field → column title), as docker does.
 */
export function renderTemplate(format: string, rows: object[], headers: Record<string, string>): string {
  const t = compileTemplate(format);
  for (const r of rows) contexts.add(r);
  const lines = rows.map((r) => t.render(r));
  if (!t.table) return lines.map((l) => `${l}\n`).join('');
  const head = t.render(headers);
  return `${tabwrite([head, ...lines].flatMap((l) => l.split('\n')))}\n`;
}
