import { readFileSync } from 'node:fs';

import { InputError } from '../errors.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from '../json/strict-json.ts';

/** A known RMM or remote-access tool (data/rmm-tools.json). */
export interface RmmTool {
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  readonly aliases: readonly string[];
  readonly executables: readonly string[];
  readonly services: readonly string[];
}

const DATA_URL = new URL('../../data/rmm-tools.json', import.meta.url);

/** Parses the tool list strictly (duplicate keys rejected, every field typed). */
export function parseRmmTools(text: string, file: string): readonly RmmTool[] {
  const value = parseStrictJson(text, file).value;
  const fail = (pointer: string, expected: string): never => {
    throw new InputError('INPUT_INVALID', `RMM tool list: expected ${expected}`, { file, pointer });
  };
  if (!isJsonObject(value) || value['schema'] !== 1 || !Array.isArray(value['tools']))
    fail('', 'an object with schema 1 and a tools array');
  const tools = (value as { tools: JsonValue[] }).tools;
  const ids = new Set<string>();
  return tools.map((entry, index): RmmTool => {
    const at = `/tools/${index}`;
    if (!isJsonObject(entry)) return fail(at, 'an object');
    const str = (key: string): string => {
      const v = entry[key];
      return typeof v === 'string' && v !== '' ? v : fail(`${at}/${key}`, 'a non-empty string');
    };
    const list = (key: string): string[] => {
      const v = entry[key] ?? [];
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== ''))
        return fail(`${at}/${key}`, 'an array of non-empty strings');
      return v as string[];
    };
    const id = str('id');
    if (ids.has(id)) fail(`${at}/id`, `a unique id ('${id}' is listed twice)`);
    ids.add(id);
    return {
      id,
      name: str('name'),
      vendor: str('vendor'),
      aliases: list('aliases'),
      executables: list('executables'),
      services: list('services'),
    };
  });
}

let bundled: readonly RmmTool[] | undefined;
/** The tool list shipped in data/rmm-tools.json. */
export function bundledRmmTools(): readonly RmmTool[] {
  bundled ??= parseRmmTools(readFileSync(DATA_URL, 'utf8'), 'data/rmm-tools.json');
  return bundled;
}

/**
 * Recognises tools by inventory product name: exact (case-insensitive) on name, alias,
 * executable or service; or a name/alias followed by a version or a parenthesised suffix
 * (`TeamViewer 15`, `AnyDesk 8.0.9`, `ScreenConnect Client (1a2b3c)`), which is how Windows
 * "Programs" entries usually look. Bare prefixes do not match (`Level Access` is not `Level`).
 */
export class RmmToolMatcher {
  private readonly exact = new Map<string, RmmTool>();
  private readonly names: { readonly name: string; readonly tool: RmmTool }[] = [];

  constructor(tools: readonly RmmTool[]) {
    for (const tool of tools) {
      for (const name of [tool.id, tool.name, ...tool.aliases, ...tool.executables, ...tool.services]) {
        const key = name.toLowerCase();
        if (!this.exact.has(key)) this.exact.set(key, tool);
      }
      for (const name of [tool.name, ...tool.aliases]) this.names.push({ name: name.toLowerCase(), tool });
    }
    // Longest first, so `ScreenConnect Client` wins over `ScreenConnect`.
    this.names.sort((a, b) => b.name.length - a.name.length);
  }

  match(product: string): RmmTool | undefined {
    const key = product.trim().toLowerCase();
    const exact = this.exact.get(key);
    if (exact !== undefined) return exact;
    for (const { name, tool } of this.names) {
      if (key.length > name.length + 1 && key.startsWith(name)) {
        const rest = key.slice(name.length);
        if (/^(?: \(| v?\d|-\d| \d)/.test(rest)) return tool;
      }
    }
    return undefined;
  }
}
