import type { ValidateFunction } from 'ajv';

import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import { finding, type Finding, type Severity } from '../findings.ts';
import { decodeUtf8, parseStrictJson, readBoundedFile } from '../json/index.ts';
import { explainSchemaError } from '../json/schema-errors.ts';
import { LicenseEvaluator } from './license.ts';
import type { Sbom, SbomComponent } from './model.ts';
import { FindingCollector } from './normalize.ts';
import { checkMinimumElements } from './ntia.ts';
import { affectsVersion, type OsvAffected, type OsvDatabase, type OsvRecord } from './osv.ts';
import { osvPackageName, parsePurl, purlPackageKey, type PackageUrl } from './purl.ts';
import { parseVersionRange, rangeIncludes, type VersionRange } from './version-range.ts';
import { PURL_ECOSYSTEMS, orderingFor } from './versions/index.ts';
import { validate as validatePolicyDocument } from '../validators/sbom-policy.ts';
import { truncateUntrusted } from '../text/truncate.ts';

/** A denied package: by purl (`pkg:npm/event-stream`, version optional) or by name. */
export interface DeniedComponent {
  readonly purl?: string;
  /** Component name, matched case-insensitively (for SBOMs without purls). */
  readonly name?: string;
  /** Range in the package's ecosystem ordering, e.g. `>=3.3.6 <4.0.0 || =5.0.0`; absent: every version. */
  readonly versions?: string;
  readonly reason?: string;
}

/** The `sbom check --policy` file (JSON). Documented in the README. */
export interface SbomPolicy {
  readonly policyVersion: 1;
  readonly deny?: {
    readonly components?: readonly DeniedComponent[];
    /** SPDX licence ids no component may rely on. */
    readonly licenses?: readonly string[];
  };
  readonly allow?: {
    /** When present, components may rely only on these SPDX licence ids. */
    readonly licenses?: readonly string[];
  };
  /** Components without a licence fail (SBOM_LICENSE_MISSING). */
  readonly requireLicense?: boolean;
  readonly minimumElements?: {
    /** Fail when the NTIA minimum-elements coverage is below this percentage (0–100). */
    readonly minimumPercent: number;
  };
  readonly vulnerabilities?: {
    /** OSV ids or aliases (CVE, GHSA) accepted as exceptions. */
    readonly ignore?: readonly string[];
    /** Severity when an OSV record gives none (default high). */
    readonly defaultSeverity?: 'critical' | 'high' | 'medium' | 'low';
    /** Severity of components that cannot be checked (default medium; `info` reports without failing). */
    readonly uncheckableSeverity?: Severity;
  };
}

export { POLICY_SCHEMA } from './policy-schema.ts';

/** Parses and validates a policy document; throws InputError naming the pointer and what was expected. */
export function parsePolicy(bytes: Uint8Array, file: string): SbomPolicy {
  const parsed = parseStrictJson(decodeUtf8(bytes, file), file);
  // Compiled from policy-schema.ts at build time (scripts/build-validators.ts).
  const policyValidator = validatePolicyDocument as unknown as ValidateFunction;
  if (!policyValidator(parsed.value)) {
    const error = policyValidator.errors?.[0];
    const { pointer, message } = error
      ? explainSchemaError(error)
      : { pointer: '', message: 'invalid policy' };
    const position = parsed.positionOf(error?.instancePath ?? '');
    throw new InputError('INPUT_INVALID', `policy: ${message}`, { file, pointer, ...(position ?? {}) });
  }
  const policy = parsed.value as unknown as SbomPolicy;
  policy.deny?.components?.forEach((entry, i) => {
    if (entry.purl !== undefined && !parsePurl(entry.purl)) {
      throw new InputError('INPUT_INVALID', 'policy: not a valid package URL', {
        file,
        pointer: `/deny/components/${i}/purl`,
      });
    }
    if (entry.versions !== undefined && !parseVersionRange(entry.versions)) {
      throw new InputError(
        'INPUT_INVALID',
        'policy: expected a version range such as ">=1.0.0 <1.2.3 || =2.0.0"',
        {
          file,
          pointer: `/deny/components/${i}/versions`,
        },
      );
    }
  });
  return policy;
}

export async function readPolicyFile(path: string): Promise<SbomPolicy> {
  return parsePolicy(await readBoundedFile(path, defaults.maxSbomPolicyBytes, 'policy'), path);
}

export interface PolicyCheckOptions {
  /** Offline OSV records to match components against. */
  readonly osv?: OsvDatabase;
}

function describeComponent(component: SbomComponent): string {
  const name = component.group ? `${component.group}/${component.name}` : component.name;
  return `${name || component.ref || component.pointer}${component.version ? `@${component.version}` : ''}`;
}

/** Shortest dependency path from a subject to each component, computed once on demand. */
class DependencyPaths {
  #parents: Map<string, string> | undefined;
  readonly #sbom: Sbom;

  constructor(sbom: Sbom) {
    this.#sbom = sbom;
  }

  /** Refs from the subject to `ref` inclusive, or [] when unreachable. */
  pathTo(ref: string | undefined): string[] {
    if (ref === undefined) return [];
    if (!this.#parents) {
      const parents = new Map<string, string>();
      const queue: string[] = [];
      for (const subject of this.#sbom.subjects) {
        if (subject.ref !== undefined) {
          parents.set(subject.ref, '');
          queue.push(subject.ref);
        }
      }
      for (let i = 0; i < queue.length; i++) {
        const current = queue[i] ?? '';
        for (const next of this.#sbom.dependencies.get(current) ?? []) {
          if (!parents.has(next)) {
            parents.set(next, current);
            queue.push(next);
          }
        }
      }
      this.#parents = parents;
    }
    const path: string[] = [];
    let at: string | undefined = ref;
    while (at !== undefined && at !== '' && path.length <= this.#parents.size) {
      if (!this.#parents.has(at)) return [];
      path.unshift(at);
      at = this.#parents.get(at);
    }
    return path;
  }
}

/**
 * Evaluates an SBOM against a policy: denied components and version ranges, licences (SPDX
 * expressions evaluated), NTIA coverage, and — with an OSV database — known vulnerabilities.
 * Every check covers the SBOM's subjects as well as its other components.
 */
export function checkPolicy(sbom: Sbom, policy: SbomPolicy, options: PolicyCheckOptions = {}): Finding[] {
  const file = sbom.file;
  const collector = new FindingCollector(defaults.maxSbomSchemaErrors * 10);
  const uncheckableSeverity = policy.vulnerabilities?.uncheckableSeverity ?? 'medium';
  // The subject is a component like any other: a vulnerable or denied product, or one under a
  // denied licence, fails whether the SBOM lists it as its subject or among its components
  // (an SPDX document may mark every package as described).
  const checked = [...sbom.subjects, ...sbom.components];
  const names = new Map(checked.map((c) => [c.ref, c] as const));
  const paths = new DependencyPaths(sbom);
  const pathText = (component: SbomComponent): string[] =>
    paths.pathTo(component.ref).map((ref) => {
      const c = names.get(ref);
      return c ? describeComponent(c) : ref;
    });
  const locate = (component: SbomComponent) => ({ file, pointer: component.pointer });
  const subjectOf = (component: SbomComponent) => `${file}#${component.pointer}`;

  // Denied components, indexed by package key and by lower-case name.
  const deniedByPurl = new Map<
    string,
    { entry: DeniedComponent; purl: PackageUrl; range?: VersionRange }[]
  >();
  const deniedByName = new Map<
    string,
    { entry: DeniedComponent; purl?: PackageUrl; range?: VersionRange }[]
  >();
  for (const entry of policy.deny?.components ?? []) {
    const range = entry.versions === undefined ? undefined : parseVersionRange(entry.versions);
    const purl = entry.purl === undefined ? undefined : parsePurl(entry.purl);
    if (purl) {
      const key = purlPackageKey(purl);
      deniedByPurl.set(key, [...(deniedByPurl.get(key) ?? []), { entry, purl, ...(range ? { range } : {}) }]);
    } else if (entry.name !== undefined) {
      const key = entry.name.toLowerCase();
      deniedByName.set(key, [...(deniedByName.get(key) ?? []), { entry, ...(range ? { range } : {}) }]);
    }
  }

  const licenses =
    policy.deny?.licenses !== undefined || policy.allow?.licenses !== undefined
      ? new LicenseEvaluator({
          deny: policy.deny?.licenses ?? [],
          ...(policy.allow?.licenses ? { allow: policy.allow.licenses } : {}),
        })
      : undefined;
  const ignored = new Set(policy.vulnerabilities?.ignore ?? []);
  const noPurl: string[] = [];
  const unknownTypes = new Map<string, string[]>();

  for (const component of checked) {
    const purl = component.purl === undefined ? undefined : parsePurl(component.purl);
    const version = purl?.version ?? component.version;
    const ecosystem = purl ? PURL_ECOSYSTEMS[purl.type] : undefined;

    // Denied packages.
    const candidates = [
      ...(purl ? (deniedByPurl.get(purlPackageKey(purl)) ?? []) : []),
      ...(deniedByName.get(component.name.toLowerCase()) ?? []),
    ];
    for (const denied of candidates) {
      const pinnedVersion = denied.purl?.version;
      const range =
        denied.range ?? (pinnedVersion !== undefined ? parseVersionRange(`=${pinnedVersion}`) : undefined);
      let matched: boolean | undefined = true;
      if (range) {
        const ordering = orderingFor(ecosystem ?? 'semver') ?? orderingFor('semver');
        matched = version === undefined || !ordering ? undefined : rangeIncludes(range, version, ordering);
      }
      if (matched === false) continue;
      collector.add('SBOM_DENIED_COMPONENT', () =>
        finding('SBOM_DENIED_COMPONENT', {
          subject: subjectOf(component),
          message:
            `${describeComponent(component)} is denied by policy (${denied.entry.purl ?? denied.entry.name ?? ''}` +
            `${denied.entry.versions ? ` ${denied.entry.versions}` : ''})` +
            (matched === undefined
              ? '; its version cannot be compared, so it is denied to fail closed'
              : '') +
            (denied.entry.reason ? `: ${denied.entry.reason}` : ''),
          evidence: {
            component: describeComponent(component),
            rule: denied.entry.purl ?? denied.entry.name ?? '',
            ...(denied.entry.versions ? { versions: denied.entry.versions } : {}),
          },
          location: locate(component),
        }),
      );
    }

    // Licences.
    if (licenses || policy.requireLicense) {
      const verdict =
        licenses?.evaluate(component.licenses) ??
        (component.licenses.length === 0 ? { kind: 'missing' as const } : { kind: 'ok' as const });
      if (verdict.kind === 'denied') {
        collector.add('SBOM_DENIED_LICENSE', () =>
          finding('SBOM_DENIED_LICENSE', {
            subject: subjectOf(component),
            message: `${describeComponent(component)}: licence "${truncateUntrusted(verdict.expression)}" cannot be satisfied without ${truncateUntrusted(verdict.licenses.join(', '))}`,
            evidence: {
              expression: truncateUntrusted(verdict.expression),
              licenses: verdict.licenses.slice(0, 100),
            },
            location: locate(component),
          }),
        );
      } else if (verdict.kind === 'invalid') {
        collector.add('SBOM_LICENSE_INVALID', () =>
          finding('SBOM_LICENSE_INVALID', {
            subject: subjectOf(component),
            message: `${describeComponent(component)}: "${truncateUntrusted(verdict.expression)}" is not a valid SPDX licence expression (${truncateUntrusted(verdict.reason)})`,
            evidence: { expression: truncateUntrusted(verdict.expression) },
            location: locate(component),
          }),
        );
      } else if (verdict.kind === 'missing' && policy.requireLicense) {
        collector.add('SBOM_LICENSE_MISSING', () =>
          finding('SBOM_LICENSE_MISSING', {
            subject: subjectOf(component),
            message: `${describeComponent(component)} declares no licence`,
            location: locate(component),
          }),
        );
      }
    }

    // Vulnerabilities.
    if (!options.osv) continue;
    if (!purl) {
      noPurl.push(describeComponent(component));
      continue;
    }
    if (!ecosystem) {
      unknownTypes.set(purl.type, [...(unknownTypes.get(purl.type) ?? []), describeComponent(component)]);
    }
    const matches = [
      ...(ecosystem ? options.osv.lookup(ecosystem, osvPackageName(purl)) : []),
      ...options.osv.lookupPurl(purlPackageKey(purl)),
    ];
    if (matches.length === 0) continue;
    if (version === undefined) {
      collector.add('SBOM_VULN_UNCHECKABLE', () =>
        finding('SBOM_VULN_UNCHECKABLE', {
          subject: subjectOf(component),
          severity: uncheckableSeverity,
          message: `${describeComponent(component)} has OSV records (${matches.map((m) => m.record.id).join(', ')}) but no version to match`,
          evidence: { records: matches.map((m) => m.record.id) },
          location: locate(component),
        }),
      );
      continue;
    }
    const seen = new Set<OsvAffected>();
    for (const { record, affected } of matches) {
      if (seen.has(affected)) continue;
      seen.add(affected);
      if (ignored.has(record.id) || record.aliases.some((a) => ignored.has(a))) continue;
      const result = affectsVersion(affected, version);
      if (result.kind === 'affected') {
        const path = pathText(component);
        collector.add('SBOM_VULNERABLE_COMPONENT', () =>
          vulnerable(component, record, version, path, policy, subjectOf(component), locate(component)),
        );
      } else if (result.kind === 'undecidable') {
        collector.add('SBOM_VULN_UNCHECKABLE', () =>
          finding('SBOM_VULN_UNCHECKABLE', {
            subject: subjectOf(component),
            severity: uncheckableSeverity,
            message: `${describeComponent(component)}: cannot tell whether ${record.id} affects it: ${result.reason}`,
            evidence: { record: record.id, osvFile: record.file },
            location: locate(component),
          }),
        );
      }
    }
  }

  if (noPurl.length > 0) {
    collector.add('SBOM_VULN_UNCHECKABLE', () =>
      finding('SBOM_VULN_UNCHECKABLE', {
        subject: file,
        severity: uncheckableSeverity,
        message: `${noPurl.length} components have no purl and were not matched against OSV data: ${noPurl.slice(0, 5).join(', ')}${noPurl.length > 5 ? ', …' : ''}`,
        evidence: { components: noPurl.length, examples: noPurl.slice(0, 5) },
      }),
    );
  }
  for (const [type, list] of unknownTypes) {
    collector.add('SBOM_VULN_UNCHECKABLE', () =>
      finding('SBOM_VULN_UNCHECKABLE', {
        subject: file,
        severity: uncheckableSeverity,
        message: `${list.length} components of purl type "${type}" have no defined version ordering here; only exact OSV version lists were matched: ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}`,
        evidence: { purlType: type, components: list.length, examples: list.slice(0, 5) },
      }),
    );
  }

  const findings = collector.finish(file);
  const minimumPercent = policy.minimumElements?.minimumPercent;
  const ntia = checkMinimumElements(sbom, { severity: 'info', maxFindings: 0 });
  if (minimumPercent !== undefined && ntia.summary.percent < minimumPercent) {
    findings.push(...checkMinimumElements(sbom, { severity: 'low' }).findings);
  } else findings.push(...ntia.findings);
  return findings;
}

function vulnerable(
  component: SbomComponent,
  record: OsvRecord,
  version: string,
  path: readonly string[],
  policy: SbomPolicy,
  subject: string,
  location: { file: string; pointer: string },
): Finding {
  const aliases = record.aliases.length > 0 ? ` (${record.aliases.join(', ')})` : '';
  const via =
    path.length > 2
      ? `; reached through ${path.join(' → ')}`
      : path.length === 2
        ? '; a direct dependency'
        : '';
  return finding('SBOM_VULNERABLE_COMPONENT', {
    subject,
    severity: record.severity ?? policy.vulnerabilities?.defaultSeverity ?? 'high',
    message: `${describeComponent(component)} is affected by ${record.id}${aliases}${record.summary ? `: ${record.summary}` : ''}${via}`,
    evidence: {
      id: record.id,
      aliases: record.aliases,
      version,
      ...(component.purl ? { purl: component.purl } : {}),
      dependencyPath: path,
      transitive: path.length > 2,
      osvFile: record.file,
    },
    location,
  });
}
