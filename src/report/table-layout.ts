/**
 * How tables meet the terminal, set once by the CLI: `width` (the terminal's
 * columns; null in pipes and with --no-trunc) and `cwd` (absolute paths under
 * it are shown relative to it). JSON never goes through here. Its own module so
 * that setting it does not load the table renderer (table.ts): a command that
 * prints JSON never loads it (start-up, issue 13).
 */
export interface TableLayout { width: number | null; cwd: string | null }
let layout: TableLayout = { width: null, cwd: null };

export function setTableLayout(l: Partial<TableLayout>): void {
  layout = { ...layout, ...l };
}

export function tableLayout(): TableLayout {
  return layout;
}
