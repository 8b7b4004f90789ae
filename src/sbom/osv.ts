import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { defaults } from '../defaults.ts';
import { InputError, RmmVerifyError, errorMessage } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import type { Severity } from '../finding-codes.ts';
import { decodeUtf8, isJsonObject, parseStrictJson, readBoundedFile, type JsonValue } from '../json/index.ts';
import { parsePurl, purlPackageKey } from './purl.ts';
import { orderingFor, type VersionOrdering } from './versions/index.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/** One event of an OSV range (OSV schema 1.6, `affected[].ranges[].events[]`). */
export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface OsvRange {
  readonly type: 'SEMVER' | 'ECOSYSTEM' | 'GIT';
  readonly events: readonly OsvEvent[];
}

export interface OsvAffected {
  /** Base ecosystem name without a `:suffix` (e.g. `Debian:12` → `Debian`). */
  readonly ecosystem: string;
  readonly name: string;
  readonly purl?: string;
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
}

export interface OsvRecord {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary?: string;
  readonly severity?: Severity;
  readonly affected: readonly OsvAffected[];
  readonly file: string;
  /** Set when the advisory was withdrawn: it then matches nothing. */
  readonly withdrawn?: string;
}

const GHSA_SEVERITY: Readonly<Record<string, Severity>> = {
  LOW: 'low',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};

function fail(file: string, pointer: string, message: string): never {
  throw new InputError('INPUT_INVALID', message, { file, pointer });
}

function requireString(value: JsonValue | undefined, file: string, pointer: string): string {
  if (typeof value !== 'string' || value === '') fail(file, pointer, 'expected a non-empty string');
  return value;
}

function stringList(value: JsonValue | undefined, file: string, pointer: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(file, pointer, 'expected an array of strings');
  return value.map((v, i) => requireString(v, file, `${pointer}/${i}`));
}

/** Parses one OSV record (https://ossf.github.io/osv-schema/); throws InputError with a pointer. */
export function parseOsvRecord(value: JsonValue, file: string): OsvRecord {
  if (!isJsonObject(value)) fail(file, '', 'expected an OSV record (a JSON object)');
  const id = requireString(value['id'], file, '/id');
  const affectedValue = value['affected'] ?? [];
  if (!Array.isArray(affectedValue)) fail(file, '/affected', 'expected an array');
  const affected: OsvAffected[] = [];
  affectedValue.forEach((entry, i) => {
    const at = `/affected/${i}`;
    if (!isJsonObject(entry)) fail(file, at, 'expected an object');
    const pkg = entry['package'];
    // Commit-only entries (no package) cannot match a component: skip them.
    if (pkg === undefined) return;
    if (!isJsonObject(pkg)) fail(file, `${at}/package`, 'expected an object with ecosystem and name');
    const ecosystem = requireString(pkg['ecosystem'], file, `${at}/package/ecosystem`).split(':')[0] ?? '';
    const name = requireString(pkg['name'], file, `${at}/package/name`);
    const purl = pkg['purl'];
    const rangesValue = entry['ranges'] ?? [];
    if (!Array.isArray(rangesValue)) fail(file, `${at}/ranges`, 'expected an array');
    const ranges = rangesValue.map((range, j): OsvRange => {
      const rat = `${at}/ranges/${j}`;
      if (!isJsonObject(range)) fail(file, rat, 'expected an object');
      const type = range['type'];
      if (type !== 'SEMVER' && type !== 'ECOSYSTEM' && type !== 'GIT') {
        fail(
          file,
          `${rat}/type`,
          `expected "SEMVER", "ECOSYSTEM" or "GIT", found ${quoteUntrusted(type ?? null)}`,
        );
      }
      const events = range['events'];
      if (!Array.isArray(events) || events.length === 0)
        fail(file, `${rat}/events`, 'expected a non-empty array');
      return {
        type,
        events: events.map((event, k): OsvEvent => {
          const eat = `${rat}/events/${k}`;
          if (!isJsonObject(event)) fail(file, eat, 'expected an object');
          const keys = Object.keys(event);
          const key = keys[0];
          if (
            keys.length !== 1 ||
            (key !== 'introduced' && key !== 'fixed' && key !== 'last_affected' && key !== 'limit')
          ) {
            fail(file, eat, 'expected exactly one of introduced, fixed, last_affected, limit');
          }
          const version = requireString(event[key], file, `${eat}/${key}`);
          return { [key]: version } as OsvEvent;
        }),
      };
    });
    affected.push({
      ecosystem,
      name,
      ...(typeof purl === 'string' ? { purl } : {}),
      ranges,
      versions: stringList(entry['versions'], file, `${at}/versions`),
    });
  });
  const databaseSpecific = value['database_specific'];
  const ghsa = isJsonObject(databaseSpecific) ? databaseSpecific['severity'] : undefined;
  const severity = typeof ghsa === 'string' ? GHSA_SEVERITY[ghsa.toUpperCase()] : undefined;
  const summary = value['summary'];
  const withdrawn = value['withdrawn'];
  return {
    ...(typeof withdrawn === 'string' ? { withdrawn } : {}),
    id,
    aliases: stringList(value['aliases'], file, '/aliases'),
    ...(typeof summary === 'string' ? { summary } : {}),
    ...(severity ? { severity } : {}),
    affected,
    file,
  };
}

/** OSV package names compare per ecosystem: PyPI normalised (PEP 503), NuGet case-insensitive. */
export function normalizeOsvName(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  if (ecosystem === 'NuGet') return name.toLowerCase();
  return name;
}

function key(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${normalizeOsvName(ecosystem, name)}`;
}

/** OSV records indexed by (ecosystem, package name). */
export class OsvDatabase {
  readonly #byPackage = new Map<string, { record: OsvRecord; affected: OsvAffected }[]>();
  readonly #byPurl = new Map<string, { record: OsvRecord; affected: OsvAffected }[]>();
  #count = 0;

  add(record: OsvRecord): void {
    this.#count++;
    if (record.withdrawn !== undefined) return;
    for (const affected of record.affected) {
      const k = key(affected.ecosystem, affected.name);
      const list = this.#byPackage.get(k);
      if (list) list.push({ record, affected });
      else this.#byPackage.set(k, [{ record, affected }]);
      const purl = affected.purl === undefined ? undefined : parsePurl(affected.purl);
      if (purl) {
        const purlKey = purlPackageKey(purl);
        const byPurl = this.#byPurl.get(purlKey);
        if (byPurl) byPurl.push({ record, affected });
        else this.#byPurl.set(purlKey, [{ record, affected }]);
      }
    }
  }

  /** Records whose `affected[].package.purl` names this package (`pkg:type/namespace/name`). */
  lookupPurl(packageKey: string): readonly { record: OsvRecord; affected: OsvAffected }[] {
    return this.#byPurl.get(packageKey) ?? [];
  }

  get size(): number {
    return this.#count;
  }

  lookup(ecosystem: string, name: string): readonly { record: OsvRecord; affected: OsvAffected }[] {
    return this.#byPackage.get(key(ecosystem, name)) ?? [];
  }
}

/**
 * Loads every `*.json` file under a directory (recursively, bounded by maxOsvFiles) as an OSV
 * record. An unreadable directory throws InputError; a malformed record becomes an
 * SBOM_OSV_INVALID finding and the rest still load.
 */
export async function loadOsvDirectory(
  dir: string,
  limits: { maxFiles?: number; maxFileBytes?: number } = {},
): Promise<{ database: OsvDatabase; findings: Finding[] }> {
  const maxFiles = limits.maxFiles ?? defaults.maxOsvFiles;
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `cannot read OSV directory: ${errorMessage(error)}`, {
      file: dir,
      cause: error,
    });
  }
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  if (files.length > maxFiles) {
    throw new InputError(
      'INPUT_TOO_LARGE',
      `OSV directory holds ${files.length} records; the limit is ${maxFiles}`,
      {
        file: dir,
      },
    );
  }
  const database = new OsvDatabase();
  const findings: Finding[] = [];
  for (const file of files) {
    try {
      const bytes = await readBoundedFile(
        file,
        limits.maxFileBytes ?? defaults.maxOsvFileBytes,
        'OSV record',
      );
      database.add(parseOsvRecord(parseStrictJson(decodeUtf8(bytes, file), file).value, file));
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      findings.push(
        finding('SBOM_OSV_INVALID', {
          subject: file,
          message: `OSV record not used: ${error.message}`,
          evidence: { error: (error as RmmVerifyError).code },
          location: {
            file,
            ...(error.location.pointer !== undefined ? { pointer: error.location.pointer } : {}),
          },
        }),
      );
    }
  }
  return { database, findings };
}

/**
 * OSV schema "Evaluation": sort the events by version (introduced "0" first), then walk them:
 * introduced at or below the version → affected; fixed at or below → not; last_affected below →
 * not. Returns undefined when a version does not parse in the ordering.
 */
export function rangeAffects(
  events: readonly OsvEvent[],
  version: string,
  ordering: VersionOrdering,
): boolean | undefined {
  const valued = events
    .filter((e) => !('limit' in e))
    .map((e) => {
      const [kind, value] = Object.entries(e)[0] as ['introduced' | 'fixed' | 'last_affected', string];
      return { kind, value };
    });
  for (const e of valued) {
    if (!(e.kind === 'introduced' && e.value === '0') && !ordering.isValid(e.value)) return undefined;
  }
  if (!ordering.isValid(version)) return undefined;
  const compare = (a: string, b: string): number => {
    if (a === '0' && b === '0') return 0;
    // "0" as an introduced version means "from the very first version".
    if (a === '0') return -1;
    if (b === '0') return 1;
    return ordering.compare(a, b) ?? 0;
  };
  const sorted = [...valued].sort((a, b) => compare(a.value, b.value));
  let affected = false;
  for (const event of sorted) {
    if (event.kind === 'introduced' && (event.value === '0' || compare(event.value, version) <= 0))
      affected = true;
    else if (event.kind === 'fixed' && compare(event.value, version) <= 0) affected = false;
    else if (event.kind === 'last_affected' && compare(event.value, version) < 0) affected = false;
  }
  return affected;
}

export type AffectResult =
  { readonly kind: 'affected' | 'unaffected' } | { readonly kind: 'undecidable'; readonly reason: string };

/**
 * Whether the `versions` list of an `affected[]` entry holds the version, compared by the
 * ecosystem's rules where we have an ordering for it (PyPI `4.2` equals `4.2.0` under PEP 440,
 * Maven `1.0` equals `1.0.0`, NuGet `1.0` equals `1.0.0.0`, npm and Go by SemVer precedence);
 * exact strings for ecosystems without one, and for entries that do not parse.
 */
export function listedVersion(affected: OsvAffected, version: string): boolean {
  if (affected.versions.includes(version)) return true;
  const ordering = orderingFor(affected.ecosystem);
  if (!ordering?.isValid(version)) return false;
  return affected.versions.some((listed) => ordering.compare(listed, version) === 0);
}

/** Whether one `affected[]` entry covers a version: its `versions` list, then its ranges. */
export function affectsVersion(affected: OsvAffected, version: string): AffectResult {
  if (listedVersion(affected, version)) return { kind: 'affected' };
  let undecidable: string | undefined;
  for (const range of affected.ranges) {
    if (range.type === 'GIT') continue; // commit ranges need the repository; `versions` enumerates them
    const ordering = range.type === 'SEMVER' ? orderingFor('semver') : orderingFor(affected.ecosystem);
    if (!ordering) {
      undecidable = `no version ordering for ecosystem ${affected.ecosystem}`;
      continue;
    }
    const result = rangeAffects(range.events, version, ordering);
    if (result === true) return { kind: 'affected' };
    if (result === undefined)
      undecidable = `version ${quoteUntrusted(version)} or a range bound does not parse as ${ordering.ecosystem}`;
  }
  return undecidable ? { kind: 'undecidable', reason: undecidable } : { kind: 'unaffected' };
}
