import { createHash } from 'node:crypto';
import { posix } from 'node:path';

import {
  DIGEST_HEX_LENGTH,
  isDigestAlgorithm,
  isDigestHex,
  type DigestAlgorithm,
} from '../digest/algorithms.ts';
import { defaults } from '../defaults.ts';
import { InputError, type ErrorLocation } from '../errors.ts';
import { CsvParser, recordFields } from '../fleet/csv.ts';
import { decodeUtf8, isJsonObject, parseStrictJson, pointerToken, type JsonValue } from '../json/index.ts';
import { hasControlCharacter } from '../text/control-character.ts';
import { meshcentralAgent } from './meshcentral-agents.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/**
 * A vendor's published list of file hashes, read as a pin source (`pin --from`). Three forms:
 * - `meshcentral`: MeshCentral's `agents/hashagents.json` (written by its `hashagents.js`): an
 *   object keyed by MeshCentral agent architecture id, each `{ filename, hash, size, mtime }`
 *   with `hash` the SHA-384 of the file in hex.
 * - `sums`: the coreutils `sha256sum`/`sha384sum`/`sha512sum` output (`HEX  name`, `HEX *name`,
 *   GNU's `\`-escaped names) or its BSD tag form (`SHA256 (name) = HEX`), as in SHA256SUMS files.
 * - `csv`: a header row naming `name` (or `file`/`filename`), at least one of `sha256`, `sha384`,
 *   `sha512`, and optionally `size` and `platform`.
 * A list is only a claim: `pin --from` checks each entry against the file itself.
 */
export type HashListFormat = 'meshcentral' | 'sums' | 'csv';
export const HASH_LIST_FORMATS: readonly HashListFormat[] = ['meshcentral', 'sums', 'csv'];

export interface HashListEntry {
  /** The file's path as the list writes it (relative, `/`-separated). */
  readonly path: string;
  /** Its last path component: the artifact name. */
  readonly name: string;
  readonly size?: number;
  readonly digests: Readonly<Partial<Record<DigestAlgorithm, string>>>;
  /** The platform the list gives (CSV column, MeshCentral agent id), if any. */
  readonly platform?: string;
  /** Where the entry is in the list (line, or JSON pointer), for messages. */
  readonly location: ErrorLocation;
}

export interface HashList {
  readonly format: HashListFormat;
  /** SHA-256 of the list's exact bytes, recorded in each pin it produced. */
  readonly sha256: string;
  readonly entries: readonly HashListEntry[];
}

/** Entries in one list; a list is a release's files, not a package index. */
const MAX_ENTRIES = defaults.maxHashListEntries;

export function parseHashList(bytes: Buffer, file: string, format?: HashListFormat): HashList {
  const text = decodeUtf8(bytes, file).replace(/^\uFEFF/, '');
  const chosen = format ?? detectFormat(text);
  const entries =
    chosen === 'meshcentral'
      ? parseMeshcentral(text, file)
      : chosen === 'sums'
        ? parseSums(text, file)
        : parseCsv(text, file);
  if (entries.length === 0) {
    throw new InputError('INPUT_INVALID', `the ${chosen} hash list names no file`, { file });
  }
  if (entries.length > MAX_ENTRIES) {
    throw new InputError('INPUT_TOO_LARGE', `the hash list names more than ${MAX_ENTRIES} files`, { file });
  }
  const byName = new Map<string, HashListEntry>();
  for (const entry of entries) {
    const other = byName.get(entry.name);
    if (other !== undefined) {
      throw new InputError(
        'INPUT_INVALID',
        `'${entry.name}' is listed twice (also ${describeLocation(other.location)}); a pin must name one file`,
        entry.location,
      );
    }
    byName.set(entry.name, entry);
  }
  return { format: chosen, sha256: createHash('sha256').update(bytes).digest('hex'), entries };
}

function describeLocation(location: ErrorLocation): string {
  if (location.line !== undefined) return `at line ${location.line}`;
  return `at ${location.pointer ?? '/'}`;
}

function detectFormat(text: string): HashListFormat {
  const first = text.trimStart();
  if (first.startsWith('{')) return 'meshcentral';
  if (first.startsWith('-----BEGIN PGP')) return 'sums';
  const line = first.slice(0, first.search(/\r?\n|$/));
  if (SUMS_LINE.test(line) || BSD_LINE.test(line)) return 'sums';
  return 'csv';
}

/** Checks a path from a list: relative, no `..`, no empty or `.`-only components. */
function safePath(raw: string, location: ErrorLocation): { path: string; name: string } {
  const path = raw.replaceAll('\\', '/').replace(/^\.\//, '');
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    path.length > 4096 ||
    hasControlCharacter(path)
  ) {
    throw new InputError(
      'INPUT_INVALID',
      `expected a relative file path without '..' or control characters; got ${quoteUntrusted(raw)}`,
      location,
    );
  }
  const name = posix.basename(path);
  if (name.length > 255) {
    throw new InputError('INPUT_INVALID', 'a file name longer than 255 characters', location);
  }
  return { path, name };
}

function digestHex(algorithm: DigestAlgorithm, raw: string, location: ErrorLocation): string {
  const hex = raw.trim().toLowerCase();
  if (!isDigestHex(algorithm, hex)) {
    throw new InputError(
      'INPUT_INVALID',
      `expected ${DIGEST_HEX_LENGTH[algorithm]} hex digits of ${algorithm}; got ${quoteUntrusted(raw, 140)}`,
      location,
    );
  }
  return hex;
}

function sizeValue(raw: JsonValue | string, location: ErrorLocation): number {
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InputError(
      'INPUT_INVALID',
      `expected a size in bytes (a whole number); got ${quoteUntrusted(raw)}`,
      location,
    );
  }
  return n;
}

// --- MeshCentral hashagents.json ----------------------------------------------------------

function parseMeshcentral(text: string, file: string): HashListEntry[] {
  const parsed = parseStrictJson(text, file, { maxDepth: 8 });
  const at = (pointer: string): ErrorLocation => ({ file, pointer, ...parsed.positionOf(pointer) });
  if (!isJsonObject(parsed.value)) {
    throw new InputError(
      'INPUT_INVALID',
      'expected MeshCentral hashagents.json: an object keyed by agent id',
      at(''),
    );
  }
  const entries: HashListEntry[] = [];
  for (const [id, value] of Object.entries(parsed.value)) {
    const pointer = `/${pointerToken(id)}`;
    if (!/^\d{1,6}$/.test(id)) {
      throw new InputError(
        'INPUT_INVALID',
        `expected a MeshCentral agent id (a number); got '${id.slice(0, 40)}'`,
        at(pointer),
      );
    }
    if (!isJsonObject(value) || typeof value.filename !== 'string' || typeof value.hash !== 'string') {
      throw new InputError(
        'INPUT_INVALID',
        'expected { "filename": string, "hash": SHA-384 hex, "size": number }',
        at(pointer),
      );
    }
    const location = at(pointer);
    const { path, name } = safePath(value.filename, at(`${pointer}/filename`));
    if (value.size === undefined) {
      throw new InputError('INPUT_INVALID', 'expected "size" (bytes)', location);
    }
    entries.push({
      path,
      name,
      size: sizeValue(value.size, at(`${pointer}/size`)),
      digests: { sha384: digestHex('sha384', value.hash, at(`${pointer}/hash`)) },
      ...platformOf(Number(id)),
      location,
    });
  }
  return entries;
}

function platformOf(id: number): { platform?: string } {
  const agent = meshcentralAgent(id);
  return agent === undefined ? {} : { platform: agent.platform };
}

// --- sha256sum / BSD tag -----------------------------------------------------------------

/** `HEX  name` (text mode) or `HEX *name` (binary mode); a leading `\` marks an escaped name. */
const SUMS_LINE = /^\\?([0-9A-Fa-f]{40,128}) [ *](.+)$/;
/** `SHA256 (name) = HEX`, as `sha256sum --tag` and BSD `sha256` write it. */
const BSD_LINE = /^\\?(SHA1|SHA256|SHA384|SHA512) \((.+)\) = ([0-9A-Fa-f]+)$/;

function algorithmForLength(length: number): DigestAlgorithm | undefined {
  for (const a of ['sha256', 'sha384', 'sha512'] as const) if (DIGEST_HEX_LENGTH[a] === length) return a;
  return undefined;
}

/** GNU coreutils escapes `\` as `\\`, newline as `\n` and CR as `\r` when the line starts with `\`. */
function unescapeName(name: string, location: ErrorLocation): string {
  return name.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    throw new InputError('INPUT_INVALID', `unknown escape '\\${c}' in a file name`, location);
  });
}

function parseSums(text: string, file: string): HashListEntry[] {
  if (text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
    throw new InputError(
      'INPUT_UNSUPPORTED',
      'this is a clear-signed checksum list; give --list-key KEY to check its signature and read the text it signs',
      { file, line: 1 },
    );
  }
  const entries: HashListEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    const location = { file, line: i + 1 };
    const escaped = line.startsWith('\\');
    let algorithm: DigestAlgorithm | undefined;
    let hex: string;
    let rawName: string;
    const bsd = BSD_LINE.exec(line);
    const gnu = bsd === null ? SUMS_LINE.exec(line) : null;
    if (bsd !== null) {
      const tag = (bsd[1] ?? '').toLowerCase();
      algorithm = isDigestAlgorithm(tag) ? tag : undefined;
      rawName = bsd[2] ?? '';
      hex = bsd[3] ?? '';
    } else if (gnu !== null) {
      hex = gnu[1] ?? '';
      rawName = gnu[2] ?? '';
      algorithm = algorithmForLength(hex.length);
    } else {
      throw new InputError(
        'INPUT_INVALID',
        `expected 'HEX  name' (sha256sum) or 'SHA256 (name) = HEX'; got ${quoteUntrusted(line, 120)}`,
        location,
      );
    }
    if (algorithm === undefined || algorithm === 'sha1') {
      throw new InputError(
        'INPUT_INVALID',
        `expected a SHA-256, SHA-384 or SHA-512 digest (SHA-1 and MD5 cannot bind a file); got ${hex.length} hex digits`,
        location,
      );
    }
    const { path, name } = safePath(escaped ? unescapeName(rawName, location) : rawName, location);
    entries.push({ path, name, digests: { [algorithm]: digestHex(algorithm, hex, location) }, location });
  }
  return entries;
}

// --- CSV ---------------------------------------------------------------------------------

const NAME_COLUMNS = ['name', 'file', 'filename', 'file name', 'path'];

function parseCsv(text: string, file: string): HashListEntry[] {
  const records: Array<{ fields: string[]; line: number }> = [];
  const parser = new CsvParser(
    {
      record(recordText, starts, ends, count, line) {
        records.push({ fields: recordFields(recordText, starts, ends, count), line });
        if (records.length > MAX_ENTRIES + 1) {
          throw new InputError('INPUT_TOO_LARGE', `the hash list names more than ${MAX_ENTRIES} files`, {
            file,
          });
        }
      },
      malformed(line, reason) {
        throw new InputError('INPUT_INVALID', `malformed CSV record: ${reason}`, { file, line });
      },
    },
    { maxRecordChars: 64 << 10, file },
  );
  parser.push(text);
  parser.end();
  const header = records.shift();
  if (header === undefined) return [];
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const column = (names: readonly string[]) => columns.findIndex((c) => names.includes(c));
  const nameAt = column(NAME_COLUMNS);
  const digestAt = (['sha256', 'sha384', 'sha512'] as const)
    .map((a) => [a, column([a])] as const)
    .filter(([, i]) => i >= 0);
  if (nameAt < 0 || digestAt.length === 0) {
    throw new InputError(
      'INPUT_INVALID',
      `expected a header with a 'name' column and at least one of 'sha256', 'sha384', 'sha512'; got ${quoteUntrusted(header.fields.join(','))}`,
      { file, line: header.line },
    );
  }
  const sizeAt = column(['size', 'bytes']);
  const platformAt = column(['platform']);
  return records
    .filter((r) => r.fields.some((f) => f.trim() !== ''))
    .map(({ fields, line }) => {
      const location = { file, line };
      const cell = (i: number) => (i >= 0 ? (fields[i] ?? '').trim() : '');
      const { path, name } = safePath(cell(nameAt), location);
      const digests: Partial<Record<DigestAlgorithm, string>> = {};
      for (const [algorithm, i] of digestAt) {
        if (cell(i) !== '') digests[algorithm] = digestHex(algorithm, cell(i), location);
      }
      if (Object.keys(digests).length === 0) {
        throw new InputError('INPUT_INVALID', `'${name}' has no digest`, location);
      }
      const platform = cell(platformAt);
      return {
        path,
        name,
        ...(cell(sizeAt) !== '' ? { size: sizeValue(cell(sizeAt), location) } : {}),
        digests,
        ...(platform !== '' ? { platform } : {}),
        location,
      };
    });
}
