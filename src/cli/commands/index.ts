import type { CommandModule } from 'yargs';
import { images } from './images.js';
import { inspect } from './inspect.js';
import { layers } from './layers.js';
import { history } from './history.js';
import { ls } from './ls.js';
import { file } from './file.js';
import { cat } from './cat.js';
import { extract } from './extract.js';
import { exportCmd } from './export.js';
import { diff } from './diff.js';
import { relation } from './relation.js';
import { none } from './none.js';
import { base } from './base.js';
import { indexCmd } from './catalog-index.js';
import { efficiency } from './efficiency.js';
import { ci } from './ci.js';
import { auditCmd } from './audit.js';
import { report } from './report.js';
import { verify } from './verify.js';
import { containers } from './containers.js';
import { packages } from './packages.js';
import { attached } from './attached.js';
import { garbage } from './garbage.js';

/** Every command, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [
  images, inspect, layers, history, ls, file, cat, extract, exportCmd, diff,
  relation, none, base, indexCmd, verify, auditCmd, efficiency, ci, report, containers, packages, attached, garbage,
];
