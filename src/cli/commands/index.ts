import type { CommandModule } from '../argv/types.js';
import { SPECS, type CommandName } from './specs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandModule<any, any>;

/**
 * Each command's module (options, examples, handler), imported only when the
 * command runs: a start loads the argument parser, this list and the one command it runs, not
 * all of them (start-up, issue 13). The bundle makes each import its own chunk.
 */
const LOADERS: Record<CommandName, () => Promise<AnyCommand>> = {
  images: async () => (await import('./images.js')).images,
  inspect: async () => (await import('./inspect.js')).inspect,
  layers: async () => (await import('./layers.js')).layers,
  history: async () => (await import('./history.js')).history,
  ls: async () => (await import('./ls.js')).ls,
  file: async () => (await import('./file.js')).file,
  cat: async () => (await import('./cat.js')).cat,
  extract: async () => (await import('./extract.js')).extract,
  export: async () => (await import('./export.js')).exportCmd,
  diff: async () => (await import('./diff.js')).diff,
  relation: async () => (await import('./relation.js')).relation,
  none: async () => (await import('./none.js')).none,
  base: async () => (await import('./base.js')).base,
  index: async () => (await import('./catalog-index.js')).indexCmd,
  verify: async () => (await import('./verify.js')).verify,
  audit: async () => (await import('./audit.js')).auditCmd,
  efficiency: async () => (await import('./efficiency.js')).efficiency,
  ci: async () => (await import('./ci.js')).ci,
  report: async () => (await import('./report.js')).report,
  containers: async () => (await import('./containers.js')).containers,
  packages: async () => (await import('./packages.js')).packages,
  attached: async () => (await import('./attached.js')).attached,
  garbage: async () => (await import('./garbage.js')).garbage,
};

export interface CommandEntry { name: CommandName; command: string; describe: string; load: () => Promise<AnyCommand> }

/** Every command, in the order --help lists them: usage line and description (specs.ts), module loaded on demand. */
export const COMMANDS: CommandEntry[] = (Object.keys(SPECS) as CommandName[])
  .map((name) => ({ name, ...SPECS[name], load: LOADERS[name] }));
