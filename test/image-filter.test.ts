import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { openArchive, type Archive } from '../src/app/archive.js';
import { filterImages, parseImageFilters, pathMatchRegExp } from '../src/analysis/image-filter.js';
import { selectOne } from '../src/image/select.js';
import { namesFor } from '../src/report/images.js';
import type { Image } from '../src/image/model.js';

// What `docker images --filter F --format '{{.Repository}}:{{.Tag}} {{.ID}}'` printed for the same five
// archives loaded into a real engine (fixtures/docker-format/make.sh).
const truth = JSON.parse(readFileSync(join(ROOT, 'fixtures/docker-format/truth.json'), 'utf8')) as {
  list: { filters: { filter: string; rows: string[] }[] };
};

let archives: Archive[] = [];
let images: Image[] = [];
beforeAll(async () => {
  archives = await Promise.all(['base', 'app1-old', 'app1', 'app2', 'fixture']
    .map((i) => openArchive(join(ROOT, `fixtures/real/${i}/${i}.docker-archive.tar`))));
  images = archives.flatMap((a) => a.images);
});
afterAll(() => archives.forEach((a) => a.close()));

const rows = (imgs: Image[]) => imgs.flatMap((i) => namesFor(i).map((n) => `${n.repository}:${n.tag} ${i.id.slice(7, 19)}`)).sort();

describe('images --filter selects what docker selects', () => {
  for (const c of truth.list.filters) {
    it(c.filter, () => {
      const got = filterImages(images, parseImageFilters([c.filter]), (sel) => selectOne(images, sel));
      expect(rows(got)).toEqual([...c.rows].sort());
    });
  }
  it('several filters must all hold', () => {
    const got = filterImages(images, parseImageFilters(['reference=localhost/rw/*', 'label=org.opencontainers.image.title=rw-base']),
      (sel) => selectOne(images, sel));
    expect(rows(got)).toEqual(['localhost/rw/base:1.0 848228333ca8']);
  });
});

describe('filter arguments are checked before anything is read', () => {
  it.each([
    ['nope=1', /unknown filter "nope"/],
    ['dangling=maybe', /dangling is true or false/],
    ['label', /needs a value/],
    ['reference=[ab', /syntax error/],
  ])('%s', (arg, msg) => expect(() => parseImageFilters([arg])).toThrow(msg));
  it('path.Match: * and ? stop at /', () => {
    expect(pathMatchRegExp('localhost/*').test('localhost/rw/app')).toBe(false);
    expect(pathMatchRegExp('localhost/*/app?').test('localhost/rw/app1')).toBe(true);
    expect(pathMatchRegExp('[^x]*').test('abc')).toBe(true);
  });
});
