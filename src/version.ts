import { readFileSync } from 'node:fs';

/**
 * layerdig's version, from package.json one directory up: true both for the
 * compiled `dist/version.js` and for the bundle `dist/layerdig.js` (README
 * "Performance": start-up), so every command says the same.
 */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
