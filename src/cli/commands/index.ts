import type { CommandModule } from 'yargs';
import { images } from './images.js';
import { inspect } from './inspect.js';
import { layers } from './layers.js';
import { history } from './history.js';
import { verify } from './verify.js';

/** Every command, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [images, inspect, layers, history, verify];
