/**
 * A Stryker ignore-plugin for `npm run mutation`: mutants inside human-readable message text are
 * not run. A finding's `message` and an error's message explain a decision to a person; the
 * decision itself (the code, the severity, pass or fail, the evidence) is made elsewhere and is
 * mutated as usual. Without this, every template literal in a message is a surviving mutant
 * that says nothing about whether a tampered input can pass. Ignored mutants are counted and
 * reported (docs/mutation.md), not hidden.
 */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** The parts of a Babel NodePath this plugin reads (Stryker types NodePath as an empty interface). */
interface BabelPath {
  readonly node: { readonly type: string };
  readonly key: string | number | null;
  readonly listKey?: string | undefined;
  readonly parent: {
    readonly type: string;
    readonly key?: { readonly type: string; readonly name?: string; readonly value?: unknown };
    readonly computed?: boolean;
    readonly callee?: { readonly type: string; readonly name?: string };
  } | null;
}

/** Errors whose first argument is the message; the project's coded errors take `(code, message)`. */
const MESSAGE_FIRST = new Set(['Error', 'TypeError', 'RangeError', 'UsageError']);

export function messageText(path: BabelPath): string | undefined {
  const parent = path.parent;
  if (!parent) return undefined;
  if (
    parent.type === 'ObjectProperty' &&
    path.key === 'value' &&
    parent.computed !== true &&
    (parent.key?.name === 'message' || parent.key?.value === 'message')
  ) {
    return 'message text (the finding code, severity and evidence are mutated)';
  }
  if (
    parent.type === 'NewExpression' &&
    path.listKey === 'arguments' &&
    parent.callee?.type === 'Identifier'
  ) {
    const name = parent.callee.name ?? '';
    if (!name.endsWith('Error')) return undefined;
    const index = MESSAGE_FIRST.has(name) ? 0 : 1;
    if (path.key === index) return 'error message text (the error code and the throw are mutated)';
  }
  return undefined;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'message-text', {
    shouldIgnore: (path) => messageText(path as BabelPath),
  }),
];
