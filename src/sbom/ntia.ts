import { finding, type Finding } from '../findings.ts';
import type { Severity } from '../finding-codes.ts';
import type { Sbom, SbomComponent } from './model.ts';
import { FindingCollector } from './normalize.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/**
 * NTIA "The Minimum Elements For a Software Bill of Materials" (July 2021), data fields:
 * per component supplier, name, version, unique identifier; per document the dependency
 * relationships, the SBOM author and a timestamp.
 *
 * Read as sbomqs documents its NTIA compliance check (docs/reference/ntia-compliance.md in
 * interlynk-io/sbomqs), with the differences listed in the README:
 * - every component counts, the SBOM's subject (primary component) included;
 * - supplier: the component's supplier, else its manufacturer (CycloneDX), or the SPDX package
 *   supplier; a publisher, author or SPDX originator is not a supplier;
 * - identifier: purl or CPE (sbomqs), or a SWID tag id (named by NTIA; sbomqs does not count it);
 * - dependencies: the subject has at least one direct dependency, or the document declares its
 *   dependency list complete (CycloneDX compositions); SPDX counts every dependency-like
 *   relationship (CONTAINS, DEPENDS_ON, ..., or one to NONE), sbomqs only DEPENDS_ON;
 * - author: SBOM authors, tools, supplier or manufacturer (SPDX creators);
 * - timestamp: metadata.timestamp / creationInfo.created.
 */
export const COMPONENT_ELEMENTS = ['supplier', 'name', 'version', 'identifier'] as const;
export const DOCUMENT_ELEMENTS = ['dependencies', 'author', 'timestamp'] as const;
export type MinimumElement = (typeof COMPONENT_ELEMENTS)[number] | (typeof DOCUMENT_ELEMENTS)[number];

export interface MinimumElementsSummary {
  /** Elements present / elements expected, over the document and every component, 0–100 (one decimal). */
  readonly percent: number;
  /** Components evaluated: the subjects and every other component. */
  readonly components: number;
  /** Components with all four component elements. */
  readonly completeComponents: number;
  /** Missing count per element. */
  readonly missing: Readonly<Record<MinimumElement, number>>;
}

export interface MinimumElementsResult {
  readonly summary: MinimumElementsSummary;
  /** Per-component and per-document findings (SBOM_NTIA_ELEMENT_MISSING), then the summary (SBOM_NTIA_SUMMARY). */
  readonly findings: readonly Finding[];
}

function componentMissing(component: SbomComponent): MinimumElement[] {
  const missing: MinimumElement[] = [];
  if (!component.supplier) missing.push('supplier');
  if (!component.name) missing.push('name');
  if (!component.version) missing.push('version');
  if (!component.purl && !component.cpe && !component.swid) missing.push('identifier');
  return missing;
}

export interface MinimumElementsOptions {
  /** Severity of the missing-element findings; `info` reports without failing. */
  readonly severity?: Severity;
  /** Per-component findings listed at most (the summary counts them all). */
  readonly maxFindings?: number;
}

export function checkMinimumElements(
  sbom: Sbom,
  options: MinimumElementsOptions = {},
): MinimumElementsResult {
  const severity = options.severity ?? 'low';
  const collector = new FindingCollector(options.maxFindings);
  const missing: Record<MinimumElement, number> = {
    supplier: 0,
    name: 0,
    version: 0,
    identifier: 0,
    dependencies: 0,
    author: 0,
    timestamp: 0,
  };
  const file = sbom.file;
  const documentMissing: MinimumElement[] = [];
  if (sbom.authors.length === 0) documentMissing.push('author');
  if (!sbom.timestamp) documentMissing.push('timestamp');
  // The relationships must at least say what the subject directly depends on (or declare that
  // it depends on nothing); an SBOM without a subject has no one to relate them to.
  const subjectRefs = sbom.subjects.map((s) => s.ref).filter((r): r is string => r !== undefined);
  const hasGraph = subjectRefs.some(
    (ref) => (sbom.dependencies.get(ref)?.length ?? 0) > 0 || sbom.completeDependencies.has(ref),
  );
  if (!hasGraph) documentMissing.push('dependencies');
  for (const element of documentMissing) {
    missing[element]++;
    collector.add('SBOM_NTIA_ELEMENT_MISSING', () =>
      finding('SBOM_NTIA_ELEMENT_MISSING', {
        subject: file,
        severity,
        message:
          element === 'dependencies'
            ? 'the SBOM records no dependency relationships of its subject'
            : `the SBOM has no ${element === 'author' ? 'author (authors, manufacturer, supplier or tools)' : 'timestamp'}`,
        evidence: { element },
        location: { file, pointer: sbom.format === 'spdx' ? '/creationInfo' : '/metadata' },
      }),
    );
  }
  let completeComponents = 0;
  const components = [...sbom.subjects, ...sbom.components];
  for (const component of components) {
    const absent = componentMissing(component);
    if (absent.length === 0) {
      completeComponents++;
      continue;
    }
    for (const element of absent) missing[element]++;
    collector.add('SBOM_NTIA_ELEMENT_MISSING', () =>
      finding('SBOM_NTIA_ELEMENT_MISSING', {
        subject: `${file}#${component.pointer}`,
        severity,
        message: `component ${quoteUntrusted(component.name || component.ref || component.pointer)} lacks ${absent.join(', ')}`,
        evidence: { elements: absent, component: component.name, pointer: component.pointer },
        location: { file, pointer: component.pointer },
      }),
    );
  }
  const expected = components.length * COMPONENT_ELEMENTS.length + DOCUMENT_ELEMENTS.length;
  const absentTotal = Object.values(missing).reduce((a, b) => a + b, 0);
  const percent = Math.round(((expected - absentTotal) / expected) * 1000) / 10;
  const summary: MinimumElementsSummary = {
    percent,
    components: components.length,
    completeComponents,
    missing,
  };
  const findings = collector.finish(file);
  findings.push(
    finding('SBOM_NTIA_SUMMARY', {
      subject: file,
      message: `NTIA minimum elements: ${percent}% present; ${completeComponents} of ${components.length} components (subject included) complete`,
      evidence: {
        percent,
        components: components.length,
        completeComponents,
        ...Object.fromEntries(Object.entries(missing).map(([k, v]) => [`missing.${k}`, v])),
      },
    }),
  );
  return { summary, findings };
}
