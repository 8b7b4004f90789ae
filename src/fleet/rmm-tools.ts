import { readFileSync } from 'node:fs';

import { InputError } from '../errors.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from '../json/strict-json.ts';
import { isPrintableAscii } from './instance-id.ts';
import { normaliseName, nameKey } from './product-name.ts';

/** A code-signing identity a tool's binaries were seen signed with (LOLRMM `CodeSigning`). */
export interface ToolSigner {
  readonly name: string;
  /** SHA-1 certificate thumbprint, lower-case hex, when known. */
  readonly thumbprint?: string;
}

/**
 * How an installation names its instance (the account or server it answers to), so that an
 * allowlist can say which instances of an allowed tool are ours:
 * - `parenthesised-id`: the hex id in parentheses after the name, as ScreenConnect /
 *   ConnectWise Control clients register themselves (`ScreenConnect Client (1a2b3c4d5e6f7a8b)`).
 */
export type InstanceKind = 'parenthesised-id';

/** A known RMM or remote-access tool (data/rmm-tools.json). */
export interface RmmTool {
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  /** LOLRMM's category: `rmm`, or `remote-access` (LOLRMM's "RAT": SSH/VNC clients, tunnels, sync). */
  readonly category: 'rmm' | 'remote-access';
  /** Recognised without the drift config's `remoteAccessTools` opt-in. */
  readonly matchByDefault: boolean;
  /** Other display names (Windows uninstall DisplayName, PE product name, former names). */
  readonly aliases: readonly string[];
  readonly executables: readonly string[];
  readonly services: readonly string[];
  /** Package names (deb/rpm/brew/winget style) where they differ from the names. */
  readonly packages: readonly string[];
  readonly installPaths: readonly string[];
  readonly signers: readonly ToolSigner[];
  readonly instance: InstanceKind | undefined;
  /** The LOLRMM files the entry was generated from. */
  readonly lolrmm: readonly string[];
}

const DATA_URL = new URL('../../data/rmm-tools.json', import.meta.url);
const INSTANCE_KINDS: readonly InstanceKind[] = ['parenthesised-id'];

/**
 * Parses the tool list strictly (duplicate keys rejected, every field typed). Schema 2 is the
 * generated catalog; schema 1 (id, name, vendor, aliases, executables, services) is still read.
 */
export function parseRmmTools(text: string, file: string): readonly RmmTool[] {
  const value = parseStrictJson(text, file).value;
  const fail = (pointer: string, expected: string): never => {
    throw new InputError('INPUT_INVALID', `RMM tool list: expected ${expected}`, { file, pointer });
  };
  if (
    !isJsonObject(value) ||
    (value['schema'] !== 1 && value['schema'] !== 2) ||
    !Array.isArray(value['tools'])
  )
    fail('', 'an object with schema 1 or 2 and a tools array');
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
    const category = entry['category'] ?? 'rmm';
    if (category !== 'rmm' && category !== 'remote-access')
      return fail(`${at}/category`, "'rmm' or 'remote-access'");
    const matchByDefault = entry['matchByDefault'] ?? true;
    if (typeof matchByDefault !== 'boolean') return fail(`${at}/matchByDefault`, 'true or false');
    const instance = entry['instance'];
    if (instance !== undefined && !INSTANCE_KINDS.includes(instance as InstanceKind))
      return fail(`${at}/instance`, INSTANCE_KINDS.map((k) => `'${k}'`).join(' or '));
    const signersValue = entry['signers'] ?? [];
    if (!Array.isArray(signersValue)) return fail(`${at}/signers`, 'an array');
    const signers = signersValue.map((signer, i): ToolSigner => {
      const where = `${at}/signers/${i}`;
      if (!isJsonObject(signer) || typeof signer['name'] !== 'string')
        return fail(where, 'an object with a name');
      const thumbprint = signer['thumbprint'];
      if (thumbprint === undefined) return { name: signer['name'] };
      if (typeof thumbprint !== 'string' || !/^[0-9a-f]{40}$/.test(thumbprint))
        return fail(`${where}/thumbprint`, '40 lower-case hex digits (SHA-1)');
      return { name: signer['name'], thumbprint };
    });
    return {
      id,
      name: str('name'),
      vendor: str('vendor'),
      category,
      matchByDefault,
      aliases: list('aliases'),
      executables: list('executables'),
      services: list('services'),
      packages: list('packages'),
      installPaths: list('installPaths'),
      signers,
      instance: instance as InstanceKind | undefined,
      lolrmm: list('lolrmm'),
    };
  });
}

let bundled: readonly RmmTool[] | undefined;
/** The tool catalog shipped in data/rmm-tools.json (generated from LOLRMM). */
export function bundledRmmTools(): readonly RmmTool[] {
  bundled ??= parseRmmTools(readFileSync(DATA_URL, 'utf8'), 'data/rmm-tools.json');
  return bundled;
}

/** A recognised tool and, when the name carries one, the instance it belongs to. */
export interface ToolMatch {
  readonly tool: RmmTool;
  /**
   * Instance id (lower case), or '' when the name names none; the raw text when the name is not
   * printable ASCII (it then matches no allowlist).
   */
  readonly instance: string;
}

export interface RmmToolMatcherOptions {
  /** Also recognise tools that are not matched by default (LOLRMM's other remote-access tools). */
  readonly remoteAccessTools?: boolean;
}

/**
 * Words that may follow a tool's name in a display name without making it another product:
 * the role of the installed part, the platform or the architecture (`Splashtop Streamer`,
 * `TeamViewer Host`, `RustDesk for Windows`, `PuTTY release 0.81`, `AnyDesk.app`).
 */
const ROLE_WORDS = new Set([
  'agent',
  'client',
  'host',
  'service',
  'server',
  'streamer',
  'viewer',
  'release',
  'version',
  'for',
  'windows',
  'macos',
  'mac',
  'linux',
  'x64',
  'x86',
  'amd64',
  'arm64',
  'win32',
  'win64',
  'app',
  'exe',
]);
const VERSION_LIKE = /^v?\d/;
const HEX_ID = /^[0-9a-f]{8,64}$/;

/**
 * Recognises tools by inventory product name. Every name is normalised first (product-name.ts:
 * NFKC, invisible characters removed, confusables folded, case, accents and separators
 * ignored), then:
 * - exactly: a tool's name, alias, package, executable or service name, or id;
 * - by prefix: a tool's name, alias or package name ending at a word boundary, followed only
 *   by role words (ROLE_WORDS), a version (`TeamViewer 15`, `AnyDesk 8.0.9`) or a parenthesised
 *   suffix (`ScreenConnect Client (1a2b3c)`, `Zabbix Agent (64-bit)`), which is how Windows
 *   uninstall entries look.
 * Anything else after the name makes it another product: `Level Access Viewer` is not Level,
 * `TeamViewerish` is not TeamViewer, and `AnyDesk Viewer Plugin` is not AnyDesk (a third-party
 * add-on named after the tool; the tool itself still shows up under its own name). The work is
 * a handful of map lookups per name (one per word boundary), whatever the catalog's size.
 */
export class RmmToolMatcher {
  private readonly exact = new Map<string, RmmTool>();
  private readonly prefixes = new Map<string, RmmTool>();

  constructor(tools: readonly RmmTool[], options: RmmToolMatcherOptions = {}) {
    for (const tool of tools) {
      if (!tool.matchByDefault && options.remoteAccessTools !== true) continue;
      const names = [tool.name, ...tool.aliases, ...tool.packages];
      for (const name of [tool.id, ...names, ...tool.executables, ...tool.services]) {
        const key = nameKey(name);
        if (key !== '' && !this.exact.has(key)) this.exact.set(key, tool);
      }
      for (const name of names) {
        const key = nameKey(name);
        if (key !== '' && !this.prefixes.has(key)) this.prefixes.set(key, tool);
      }
    }
  }

  match(product: string): RmmTool | undefined {
    return this.matchInstance(product)?.tool;
  }

  matchInstance(product: string): ToolMatch | undefined {
    const { tokens, compact } = normaliseName(product);
    if (compact === '') return undefined;
    const exact = this.exact.get(compact);
    if (exact !== undefined && exact.instance === undefined) return { tool: exact, instance: '' };
    // Candidate ends, longest first: after each word, and inside a word where letters turn to
    // digits (`TeamViewer15`).
    const cuts: { readonly length: number; readonly token: number; readonly offset: number }[] = [];
    let length = 0;
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t] as string;
      if (token === '(' || token === ')') continue;
      // Not inside a role word: `Kaseya VSA x64` is Kaseya VSA on x64, not `Kaseya VSA X` 64.
      if (!ROLE_WORDS.has(token))
        for (let i = 1; i < token.length; i++)
          if (isDigit(token.charCodeAt(i)) && !isDigit(token.charCodeAt(i - 1)))
            cuts.push({ length: length + i, token: t, offset: i });
      length += token.length;
      cuts.push({ length, token: t + 1, offset: 0 });
    }
    for (let c = cuts.length - 1; c >= 0; c--) {
      const cut = cuts[c] as (typeof cuts)[number];
      const tool = this.prefixes.get(compact.slice(0, cut.length));
      if (tool === undefined) continue;
      const rest = tokens.slice(cut.token);
      if (cut.offset > 0) rest[0] = (tokens[cut.token] as string).slice(cut.offset);
      if (acceptsSuffix(rest)) return { tool, instance: instanceOf(tool, rest, product) };
    }
    return exact === undefined ? undefined : { tool: exact, instance: '' };
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Role words, then nothing, a version or a parenthesised suffix. */
function acceptsSuffix(rest: readonly string[]): boolean {
  let i = 0;
  while (i < rest.length && ROLE_WORDS.has(rest[i] as string)) i++;
  if (i === rest.length) return true;
  const next = rest[i] as string;
  return next === '(' || VERSION_LIKE.test(next);
}

/**
 * The instance id a name carries. The name was folded to be recognised (lookalike letters,
 * invisible characters), but an instance id is an allowlist key and must not be: an id read
 * from a name that is not plain printable ASCII is the raw parenthesised text (or the raw
 * name), which no allowlist can list, so `ScreenConnect Client (1а2b…)` with a Cyrillic а is
 * not our `1a2b…`.
 */
function instanceOf(tool: RmmTool, rest: readonly string[], raw: string): string {
  if (tool.instance !== 'parenthesised-id') return '';
  const open = rest.indexOf('(');
  const id = rest[open + 1];
  if (!(open >= 0 && rest[open + 2] === ')' && id !== undefined && HEX_ID.test(id))) return '';
  if (isPrintableAscii(raw.replaceAll(' ', ''))) return id;
  const start = raw.lastIndexOf('(');
  const end = raw.indexOf(')', start + 1);
  return start >= 0 && end > start ? raw.slice(start + 1, end) : raw;
}
