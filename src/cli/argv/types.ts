/**
 * The shape of a command as its module declares it: the subset of yargs' builder API
 * layerdig's commands were written against (option, positional, example), kept so the
 * command modules did not change when yargs left (start-up, issue 13).
 */

export interface OptionSpec {
  type?: 'string' | 'boolean' | 'number';
  default?: unknown;
  alias?: string | readonly string[];
  array?: boolean;
  choices?: readonly string[];
  demandOption?: boolean;
  describe?: string;
}

export type PositionalSpec = Pick<OptionSpec, 'type' | 'default' | 'array' | 'demandOption' | 'describe'>;

/** What a command's builder is handed: each call records a declaration and returns the builder. */
export interface Argv<T = object> {
  option(name: string, spec: OptionSpec): Argv<T>;
  positional(name: string, spec: PositionalSpec): Argv<T>;
  example(line: string, description: string): Argv<T>;
}

/** A command module: usage line and description (commands/specs.ts), options, handler. */
export interface CommandModule<T = object, U = object> {
  command: string;
  describe: string;
  builder?: (y: Argv<T>) => unknown;
  handler: (args: U) => void | Promise<void>;
}

/** One positional of a usage line (`<inputs..>`, `[path]`) with what the builder said of it. */
export interface Positional extends PositionalSpec {
  name: string;
  required: boolean;
  variadic: boolean;
}

/** A command as the parser and the help text see it. */
export interface CommandShape {
  name: string;
  usage: string;
  describe: string;
  /** in declaration order, --version first and --help last, as yargs listed them */
  options: Map<string, OptionSpec>;
  positionals: Positional[];
  examples: [string, string][];
}
