import { finding, type Finding } from '../findings.ts';
import type { Severity } from '../finding-codes.ts';
import type { Sbom, SbomComponent } from './model.ts';
import { FindingCollector } from './normalize.ts';

/**
 * NTIA "The Minimum Elements For a Software Bill of Materials" (July 2021), data fields:
 * per component supplier, name, version, unique identifier; per document the dependency
 * relationships, the SBOM author and a timestamp.
 */
export const COMPONENT_ELEMENTS = ['supplier', 'name', 'version', 'identifier'] as const;
export const DOCUMENT_ELEMENTS = ['dependencies', 'author', 'timestamp'] as const;
export type MinimumElement = (typeof COMPONENT_ELEMENTS)[number] | (typeof DOCUMENT_ELEMENTS)[number];

export interface MinimumElementsSummary {
  /** Elements present / elements expected, over the document and every component, 0–100 (one decimal). */
  readonly percent: number;
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
  // The relationships must at least say what the subject directly depends on.
  const subjectRefs = sbom.subjects.map((s) => s.ref).filter((r): r is string => r !== undefined);
  const hasGraph =
    sbom.components.length === 0 || subjectRefs.some((ref) => (sbom.dependencies.get(ref)?.length ?? 0) > 0);
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
  for (const component of sbom.components) {
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
        message: `component ${JSON.stringify(component.name || component.ref || component.pointer)} lacks ${absent.join(', ')}`,
        evidence: { elements: absent, component: component.name, pointer: component.pointer },
        location: { file, pointer: component.pointer },
      }),
    );
  }
  const expected = sbom.components.length * COMPONENT_ELEMENTS.length + DOCUMENT_ELEMENTS.length;
  const absentTotal = Object.values(missing).reduce((a, b) => a + b, 0);
  const percent = Math.round(((expected - absentTotal) / expected) * 1000) / 10;
  const summary: MinimumElementsSummary = {
    percent,
    components: sbom.components.length,
    completeComponents,
    missing,
  };
  const findings = collector.finish(file);
  findings.push(
    finding('SBOM_NTIA_SUMMARY', {
      subject: file,
      message: `NTIA minimum elements: ${percent}% present; ${completeComponents} of ${sbom.components.length} components complete`,
      evidence: {
        percent,
        components: sbom.components.length,
        completeComponents,
        ...Object.fromEntries(Object.entries(missing).map(([k, v]) => [`missing.${k}`, v])),
      },
    }),
  );
  return { summary, findings };
}
