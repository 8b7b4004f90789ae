import { digestsEqual, type DigestAlgorithm } from '../digest/index.ts';
import { finding, type Finding } from '../findings.ts';
import type { SbomPin } from '../manifest/types.ts';
import type { SbomDocument } from './document.ts';
import type { Sbom, SbomComponent } from './model.ts';
import { parsePurl } from './purl.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/** What the SBOM must describe: the artifact as the manifest pins it. */
export interface BindingExpectation {
  /** manifest.product */
  readonly product: string;
  /** manifest.aliases */
  readonly aliases?: readonly string[];
  /** The release version of the artifact. */
  readonly version: string;
  /** Digests of the artifact (computed or pinned), lower-case hex. */
  readonly digests: Readonly<Partial<Record<DigestAlgorithm, string>>>;
}

/** The SBOM file is the pinned one: sha256 of its exact bytes and its format. */
export function checkSbomPin(document: SbomDocument, pin: SbomPin): Finding[] {
  const findings: Finding[] = [];
  const file = document.file;
  if (!digestsEqual(pin.sha256, document.sha256)) {
    findings.push(
      finding('SBOM_DIGEST_MISMATCH', {
        subject: file,
        message: `sha256 of the SBOM is ${document.sha256}; the manifest pins ${pin.sha256.toLowerCase()}`,
        evidence: { expected: pin.sha256.toLowerCase(), actual: document.sha256 },
      }),
    );
  }
  const format = document.kind.format;
  if (format !== 'unsupported' && format !== pin.format) {
    findings.push(
      finding('SBOM_FORMAT_MISMATCH', {
        subject: file,
        message: `the manifest pins a ${pin.format} SBOM; this is ${format}`,
        evidence: { expected: pin.format, actual: format },
      }),
    );
  }
  return findings;
}

const stripV = (version: string): string => version.trim().replace(/^v(?=\d)/i, '');

/**
 * The SBOM's subject names the product (or an alias, case-insensitive) and the version, its
 * package URL (when it has one) names them too, and every subject hash of an algorithm we also
 * have for the artifact matches it.
 */
export function checkBinding(sbom: Sbom, expected: BindingExpectation): Finding[] {
  const file = sbom.file;
  const subjectPointer = sbom.format === 'spdx' ? '/documentDescribes' : '/metadata/component';
  if (sbom.subjects.length === 0) {
    return [
      finding('SBOM_SUBJECT_MISSING', {
        subject: file,
        message:
          sbom.format === 'spdx'
            ? 'the SPDX document describes no package (documentDescribes or a DESCRIBES relationship)'
            : 'the CycloneDX SBOM has no metadata.component',
        location: { file, pointer: subjectPointer },
      }),
    ];
  }
  const names = new Set([expected.product, ...(expected.aliases ?? [])].map((n) => n.toLowerCase()));
  const nameMatches = (c: SbomComponent): boolean =>
    names.has(c.name.toLowerCase()) ||
    (c.group !== undefined && names.has(`${c.group}/${c.name}`.toLowerCase()));
  const subject = sbom.subjects.find(nameMatches);
  if (!subject) {
    const found = sbom.subjects
      .slice(0, 10)
      .map((s) => quoteUntrusted(s.name))
      .join(', ');
    return [
      finding('SBOM_SUBJECT_NAME_MISMATCH', {
        subject: file,
        message: `the SBOM describes ${found}, not ${[...names].map((n) => JSON.stringify(n)).join(' or ')}`,
        evidence: { expected: [...names], actual: sbom.subjects.map((s) => s.name) },
        location: { file, pointer: sbom.subjects[0]?.pointer ?? subjectPointer },
      }),
    ];
  }
  const findings: Finding[] = [];
  // The purl is what vulnerability and policy checks go by: it must name the same product and
  // version as the subject's name and version do.
  if (subject.purl !== undefined) {
    const purl = parsePurl(subject.purl);
    const purlNames = purl
      ? [purl.name, ...(purl.namespace !== undefined ? [`${purl.namespace}/${purl.name}`] : [])]
      : [];
    if (!purlNames.some((n) => names.has(n.toLowerCase()))) {
      findings.push(
        finding('SBOM_SUBJECT_NAME_MISMATCH', {
          subject: file,
          message: purl
            ? `the SBOM's subject ${quoteUntrusted(subject.name)} has the package URL ${quoteUntrusted(subject.purl)}, which names ${quoteUntrusted(purlNames.at(-1))}, not ${[...names].map((n) => JSON.stringify(n)).join(' or ')}`
            : `the SBOM's subject ${quoteUntrusted(subject.name)} has ${quoteUntrusted(subject.purl)}, which is not a valid package URL`,
          evidence: { expected: [...names], purl: subject.purl },
          location: { file, pointer: subject.pointer },
        }),
      );
    }
    if (purl?.version !== undefined && stripV(purl.version) !== stripV(expected.version)) {
      findings.push(
        finding('SBOM_SUBJECT_VERSION_MISMATCH', {
          subject: file,
          message: `the SBOM's subject has the package URL ${quoteUntrusted(subject.purl)} of version ${quoteUntrusted(purl.version)}; the artifact is version ${expected.version}`,
          evidence: { expected: expected.version, actual: purl.version, purl: subject.purl },
          location: { file, pointer: subject.pointer },
        }),
      );
    }
  }
  if (subject.version === undefined || stripV(subject.version) !== stripV(expected.version)) {
    findings.push(
      finding('SBOM_SUBJECT_VERSION_MISMATCH', {
        subject: file,
        message: `the SBOM describes ${subject.name} ${subject.version ?? '(no version)'}; the artifact is version ${expected.version}`,
        evidence: { expected: expected.version, actual: subject.version ?? null },
        location: { file, pointer: subject.pointer },
      }),
    );
  }
  for (const hash of subject.hashes) {
    const algorithm = hash.algorithm as DigestAlgorithm;
    const actual = Object.hasOwn(expected.digests, algorithm) ? expected.digests[algorithm] : undefined;
    if (actual === undefined) continue; // an algorithm we have no digest for cannot be compared
    if (!digestsEqual(hash.value, actual)) {
      findings.push(
        finding('SBOM_SUBJECT_HASH_MISMATCH', {
          subject: file,
          message: `the SBOM records ${algorithm} ${hash.value} for ${subject.name}; the artifact's ${algorithm} is ${actual}`,
          evidence: { algorithm, expected: actual, actual: hash.value },
          location: { file, pointer: subject.pointer },
        }),
      );
    }
  }
  return findings;
}
