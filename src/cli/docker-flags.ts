import { LayerdigError } from '../errors.js';
import { compileTemplate, TemplateError, type Template } from '../report/template.js';

/** Parse a --format template before anything is read: a bad one is a usage error. */
export function templateArg(format: string | undefined): Template | undefined {
  if (format === undefined) return undefined;
  try {
    return compileTemplate(format);
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
