import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/tmp.js';

// runs in every test file: its temporary directories go when the file ends, also when a test failed
afterAll(removeTempDirs);
