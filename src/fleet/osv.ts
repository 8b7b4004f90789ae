import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { decodeUtf8, isJsonObject, parseStrictJson, type JsonValue } from '../json/strict-json.ts';
import { carryTrust } from '../manifest/trusted.ts';
import type { Advisory, Manifest } from '../manifest/types.ts';

/**
 * OSV advisories (https://ossf.github.io/osv-schema/) as extra `policy.advisories` for drift:
 * an OSV file holds one vulnerability object, an array of them, or `{ "vulns": [...] }` (the
 * osv.dev query response). Each `affected` entry whose package name is a managed product (its
 * id or an alias, case-insensitive) becomes an advisory: SEMVER/ECOSYSTEM ranges turn into
 * node-semver ranges (`introduced` .. `fixed` is `>=introduced <fixed`, `last_affected` is
 * `<=`), listed `versions` into exact versions. Severity: `database_specific.severity`
 * (CRITICAL, HIGH, MODERATE/MEDIUM, LOW), else high.
 */
export interface OsvAdvisory {
  /** Package name as written in the OSV entry. */
  readonly packageName: string;
  readonly advisory: Advisory;
}

const SEVERITY: Readonly<Record<string, Advisory['severity']>> = {
  critical: 'critical',
  high: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
};

/** Turns OSV range events into one node-semver range (alternatives joined with `||`). */
function rangeOf(events: readonly JsonValue[]): string[] {
  const ranges: string[] = [];
  let introduced: string | undefined;
  for (const event of events) {
    if (!isJsonObject(event)) continue;
    if (typeof event['introduced'] === 'string') introduced = event['introduced'];
    const fixed = event['fixed'];
    const last = event['last_affected'];
    if (introduced !== undefined && (typeof fixed === 'string' || typeof last === 'string')) {
      const lower = introduced === '0' ? '' : `>=${introduced} `;
      ranges.push(
        typeof fixed === 'string' ? `${lower}<${fixed}`.trim() : `${lower}<=${last as string}`.trim(),
      );
      introduced = undefined;
    }
  }
  if (introduced !== undefined) ranges.push(introduced === '0' ? '*' : `>=${introduced}`);
  return ranges;
}

export function parseOsv(text: string, file: string): OsvAdvisory[] {
  const value = parseStrictJson(text, file).value;
  const list: JsonValue[] = Array.isArray(value)
    ? value
    : isJsonObject(value) && Array.isArray(value['vulns'])
      ? value['vulns']
      : [value];
  const out: OsvAdvisory[] = [];
  list.forEach((vuln, index) => {
    const pointer = Array.isArray(value)
      ? `/${index}`
      : isJsonObject(value) && Array.isArray(value['vulns'])
        ? `/vulns/${index}`
        : '';
    if (!isJsonObject(vuln) || typeof vuln['id'] !== 'string' || !Array.isArray(vuln['affected'])) {
      throw new InputError(
        'INPUT_INVALID',
        'OSV: expected a vulnerability with an id and an affected array',
        { file, pointer },
      );
    }
    const id = vuln['id'];
    const databaseSpecific = vuln['database_specific'];
    const severityText =
      isJsonObject(databaseSpecific) && typeof databaseSpecific['severity'] === 'string'
        ? databaseSpecific['severity'].toLowerCase()
        : '';
    const severity = SEVERITY[severityText] ?? 'high';
    const summary = typeof vuln['summary'] === 'string' ? vuln['summary'] : undefined;
    for (const affected of vuln['affected']) {
      if (
        !isJsonObject(affected) ||
        !isJsonObject(affected['package']) ||
        typeof affected['package']['name'] !== 'string'
      )
        continue;
      const ranges: string[] = [];
      for (const range of Array.isArray(affected['ranges']) ? affected['ranges'] : []) {
        if (
          isJsonObject(range) &&
          (range['type'] === 'SEMVER' || range['type'] === 'ECOSYSTEM') &&
          Array.isArray(range['events'])
        ) {
          ranges.push(...rangeOf(range['events']));
        }
      }
      for (const version of Array.isArray(affected['versions']) ? affected['versions'] : []) {
        if (typeof version === 'string') ranges.push(version);
      }
      if (ranges.length === 0) continue;
      out.push({
        packageName: affected['package']['name'],
        advisory: {
          id,
          versions: ranges.join(' || '),
          severity,
          ...(summary !== undefined ? { summary } : {}),
        },
      });
    }
  });
  return out;
}

export async function loadOsvFile(path: string): Promise<OsvAdvisory[]> {
  return parseOsv(decodeUtf8(await readBoundedFile(path, defaults.maxManifestBytes, 'OSV file'), path), path);
}

/** Manifests with the OSV advisories for their product (by id or alias) added to their policy. */
export function withOsvAdvisories<M extends Manifest>(
  manifests: readonly M[],
  advisories: readonly OsvAdvisory[],
): M[] {
  return manifests.map((manifest) => {
    const names = new Set([manifest.product, ...(manifest.aliases ?? [])].map((n) => n.toLowerCase()));
    const extra = advisories.filter((a) => names.has(a.packageName.toLowerCase())).map((a) => a.advisory);
    if (extra.length === 0) return manifest;
    // The copy keeps the original's trust standing (checked, or opted out by name).
    return carryTrust(manifest, {
      ...manifest,
      policy: { ...manifest.policy, advisories: [...(manifest.policy.advisories ?? []), ...extra] },
    });
  });
}
