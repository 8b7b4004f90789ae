/**
 * The way apt trusts a `.deb`: the repository's `InRelease` (clear-signed) or `Release` +
 * `Release.gpg` is signed by a key apt trusts; it lists the SHA-256 and size of each index
 * (`main/binary-amd64/Packages`, `Packages.gz`); the index lists the SHA-256 and size of each
 * package file. This module reads those two deb822 documents; the chain is checked by the
 * OpenPGP artifact check.
 */
import { InputError } from '../errors.ts';

/** True when the first bytes are a Debian binary package (an `ar` archive starting with `debian-binary`). */
export function isDeb(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(0, 21)).toString('latin1') === '!<arch>\ndebian-binary';
}

export interface ReleaseIndex {
  readonly path: string;
  readonly size: number;
}

export interface ReleaseFile {
  readonly suite?: string;
  readonly codename?: string;
  readonly origin?: string;
  /** `Valid-Until`, when the repository sets one (apt refuses the Release after it). */
  readonly validUntil?: Date;
  /** Indexes by SHA-256 (lower-case hex). */
  readonly sha256: ReadonlyMap<string, readonly ReleaseIndex[]>;
}

export interface PackageEntry {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  readonly filename: string;
  readonly size: number;
}

/** Parses the (signed) text of a Release file. */
export function parseRelease(text: string, file: string): ReleaseFile {
  const fields = deb822Fields(firstParagraph(text), file);
  const sha256 = new Map<string, ReleaseIndex[]>();
  const listing = fields.get('sha256');
  if (listing === undefined) {
    throw new InputError('INPUT_INVALID', 'the Release file has no SHA256 field listing its indexes', {
      file,
    });
  }
  for (const [i, line] of listing.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^\s*([0-9a-fA-F]{64})\s+(\d{1,15})\s+(\S+)\s*$/.exec(line);
    if (!match) {
      throw new InputError(
        'INPUT_INVALID',
        `expected 'SHA256 SIZE PATH' in the SHA256 field, line ${i + 1}`,
        { file },
      );
    }
    const hex = (match[1] ?? '').toLowerCase();
    const entries = sha256.get(hex) ?? [];
    entries.push({ path: match[3] ?? '', size: Number(match[2]) });
    sha256.set(hex, entries);
  }
  const validUntil = fields.get('valid-until');
  let until: Date | undefined;
  if (validUntil !== undefined) {
    until = new Date(validUntil.trim());
    if (Number.isNaN(until.getTime())) {
      throw new InputError('INPUT_INVALID', `Valid-Until is not a date: '${validUntil.slice(0, 80)}'`, {
        file,
      });
    }
  }
  const optional = (key: string, name: string) => {
    const value = fields.get(name)?.trim();
    return value === undefined ? {} : { [key]: value };
  };
  return {
    ...optional('suite', 'suite'),
    ...optional('codename', 'codename'),
    ...optional('origin', 'origin'),
    ...(until !== undefined ? { validUntil: until } : {}),
    sha256,
  };
}

/**
 * Finds the stanza of a Packages index whose SHA256 and Size are the artifact's, reading the
 * index one paragraph at a time (Debian's main index is about 100 MB uncompressed).
 */
export function findPackage(
  text: string,
  sha256: string,
  size: number,
  file: string,
): PackageEntry | undefined {
  const wanted = sha256.toLowerCase();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n\n', start);
    if (end < 0) end = text.length;
    const paragraph = text.slice(start, end);
    start = end + 2;
    // Cheap test first: most paragraphs are other packages.
    if (!paragraph.toLowerCase().includes(wanted)) continue;
    const fields = deb822Fields(paragraph, file);
    if (fields.get('sha256')?.trim().toLowerCase() !== wanted) continue;
    if (Number(fields.get('size')?.trim()) !== size) continue;
    return {
      package: fields.get('package')?.trim() ?? '',
      version: fields.get('version')?.trim() ?? '',
      architecture: fields.get('architecture')?.trim() ?? '',
      filename: fields.get('filename')?.trim() ?? '',
      size,
    };
  }
  return undefined;
}

function firstParagraph(text: string): string {
  const trimmed = text.replace(/^\s*\n/, '');
  const end = trimmed.indexOf('\n\n');
  return end < 0 ? trimmed : trimmed.slice(0, end);
}

/** deb822 fields of one paragraph, by lower-case name; continuation lines joined with `\n`. */
function deb822Fields(paragraph: string, file: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of paragraph.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current === undefined) {
        throw new InputError('INPUT_INVALID', 'a continuation line before any field', { file });
      }
      fields.set(current, `${fields.get(current) ?? ''}\n${line}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new InputError('INPUT_INVALID', `expected 'Field: value'; got '${line.slice(0, 80)}'`, { file });
    }
    current = line.slice(0, colon).toLowerCase();
    fields.set(current, line.slice(colon + 1).trimStart());
  }
  return fields;
}
