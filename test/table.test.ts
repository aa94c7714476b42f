import { afterEach, describe, expect, it } from 'vitest';
import { fitWidths, middleEllipsis, setTableLayout, table } from '../src/report/table.js';

afterEach(() => setTableLayout({ width: null, cwd: null }));

describe('tables fit the terminal', () => {
  it('middle ellipsis keeps both ends', () => {
    expect(middleEllipsis('/evidence/disk1/archives/app.tar', 17)).toBe('/evidenc…/app.tar');
    expect(middleEllipsis('short', 17)).toBe('short');
    expect([...middleEllipsis('ééééééééééééééééééééé', 10)]).toHaveLength(10);
  });
  it('the widest columns give way first, none below 16', () => {
    expect(fitWidths([12, 80, 40], 100)).toEqual([12, 42, 40]);
    expect(fitWidths([12, 80, 80], 60)).toEqual([12, 16, 26]);
    expect(fitWidths([12, 10], 5)).toEqual([12, 10]);
  });
  it('no row is wider than the terminal when a width is set; every row when it is not', () => {
    const rows = [['sha256:abc', '/very/long/path/'.repeat(8), '1.2MB']];
    setTableLayout({ width: 60 });
    for (const line of table(['ID', 'PATH', 'SIZE'], rows).split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    setTableLayout({ width: null });
    expect(table(['ID', 'PATH', 'SIZE'], rows)).toContain('/very/long/path/'.repeat(8));
  });
  it('absolute paths under the working directory are shown relative to it', () => {
    setTableLayout({ cwd: '/work/case' });
    expect(table(['A'], [['/work/case/disk/app.tar!blobs/sha256/ab'], ['/work/cases/x'], ['/elsewhere/y']]))
      .toBe('A\ndisk/app.tar!blobs/sha256/ab\n/work/cases/x\n/elsewhere/y');
  });
});
