/**
 * A small glob → RegExp translation for paths inside images (no dependency):
 * `*` any run of characters except `/`, `**` any run including `/` (`**∕` also
 * matches no directory at all), `?` one character except `/`, `[abc]` `[a-z]`
 * `[!x]` `[^x]` one character of a set, `{a,b}` alternatives (nestable),
 * `\x` the character x. Everything else is literal.
 */

export function isGlob(p: string): boolean {
  return /[*?[{]/.test(p);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  const braces: number[] = [];
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        let j = i + 2;
        while (glob[j] === '*') j++;
        if (atStart && glob[j] === '/') {
          re += '(?:.*/)?'; // `**/`: zero or more directories
          i = j + 1;
        } else {
          re += '.*';
          i = j;
        }
      } else {
        re += '[^/]*';
        i++;
      }
      continue;
    }
    if (c === '?') {
      re += '[^/]';
      i++;
      continue;
    }
    if (c === '[') {
      const close = findClass(glob, i);
      if (close === -1) {
        re += '\\[';
        i++;
        continue;
      }
      let body = glob.slice(i + 1, close);
      let neg = false;
      if (body[0] === '!' || body[0] === '^') {
        neg = true;
        body = body.slice(1);
      }
      const cls = body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\^/g, '\\^');
      re += neg ? `[^/${cls}]` : `[${cls}]`;
      i = close + 1;
      continue;
    }
    if (c === '{') {
      braces.push(i);
      re += '(?:';
      i++;
      continue;
    }
    if (c === ',' && braces.length) {
      re += '|';
      i++;
      continue;
    }
    if (c === '}' && braces.length) {
      braces.pop();
      re += ')';
      i++;
      continue;
    }
    re += escapeRe(c);
    i++;
  }
  if (braces.length) return globToRegExp(glob.replace(/[{]/g, '\\{')); // unbalanced: braces are literal
  return new RegExp(`^${re}$`, 'u');
}

/** Index of the `]` closing a class opened at `open`, or -1 (a `]` first in the class is literal). */
function findClass(glob: string, open: number): number {
  let j = open + 1;
  if (glob[j] === '!' || glob[j] === '^') j++;
  if (glob[j] === ']') j++;
  for (; j < glob.length; j++) {
    if (glob[j] === '\\') j++;
    else if (glob[j] === ']') return j;
  }
  return -1;
}

/**
 * What `layerdig file PATTERN` matches: a pattern with a `/` names the whole
 * path (a leading `/` is ignored); one without names the last component
 * anywhere, like `find -name`. Without glob characters it is an exact name.
 */
export function pathMatcher(pattern: string): (path: string) => boolean {
  let p = pattern.replace(/^\/+/, '').replace(/^(\.\/)+/, '');
  if (p.length > 1) p = p.replace(/\/+$/, '');
  const whole = p.includes('/');
  const test = isGlob(p) ? ((re) => (s: string) => re.test(s))(globToRegExp(p)) : (s: string) => s === p;
  if (whole) return test;
  return (path) => test(path.slice(path.lastIndexOf('/') + 1));
}
