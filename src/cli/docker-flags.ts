import { LayerdigError } from '../errors.js';
import { compileTemplate, TemplateError, type Template } from '../report/template.js';

/**
 * Parse a --format template before anything is read: a bad one is a usage
 * error. With `fields` (the command's field names), a placeholder naming no
 * field is found now too, not after the layers were read.
 */
export function templateArg(format: string | undefined, fields?: Record<string, string>): Template | undefined {
  if (format === undefined) return undefined;
  try {
    const t = compileTemplate(format);
    if (fields) {
      try {
        t.render({ ...fields });
      } catch (e) {
        // only an unknown field is decided by the names; other errors depend on the values
        if (e instanceof TemplateError && e.message.startsWith("can't evaluate field")) throw e;
      }
    }
    return t;
  } catch (e) {
    if (e instanceof TemplateError) throw new LayerdigError('E_USAGE', `--format: ${e.message}`);
    throw e;
  }
}

/** Run a template over rows; an error while executing (an unknown field) is a usage error too. */
export function runTemplate<R>(f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof TemplateError) throw new LayerdigError('E_USAGE', `--format: ${e.message}`);
    throw e;
  }
}
