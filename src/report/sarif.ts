import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  FINDING_CODES,
  severityRank,
  type EvidenceValue,
  type Finding,
  type FindingCode,
  type Severity,
} from '../findings.ts';
import type { Report } from './report.ts';

/** SARIF 2.1.0 (OASIS Standard, errata 01): the subset rmm-verify writes. */
export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export type SarifLevel = 'error' | 'warning' | 'note';

/** SARIF §3.27.10 level for each severity; `info` findings are notes and never fail code scanning. */
export const SARIF_LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'warning',
  info: 'note',
};

/**
 * GitHub code scanning's `security-severity` rule property (a number as a string, 0.0–10.0):
 * over 9.0 is critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. `info` has none.
 */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string | undefined>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: undefined,
};

/** Subject kinds whose subject string names a file (as opposed to an endpoint, tenant or key). */
const FILE_SUBJECT_KINDS = new Set([
  'artifact',
  'manifest',
  'sbom',
  'bundle',
  'attestation',
  'inventory',
  'trust-root',
  'file',
]);

export interface SarifOptions {
  /**
   * Directory that relative URIs are taken against (`%SRCROOT%`, e.g. GITHUB_WORKSPACE). Files
   * inside it get repository-relative URIs, files outside it absolute `file:` URIs. Default: cwd.
   */
  readonly baseDir?: string;
  /**
   * Location for findings that have neither a file location nor a path subject (an endpoint, a
   * tenant). Default: the report's manifest subject, when it has one. GitHub code scanning
   * rejects a result without a location ("expected at least one location").
   */
  readonly fallbackFile?: string;
  /**
   * `failures` (default): only findings that are not `info`, so code scanning holds problems,
   * not passed checks. `all`: every finding, passed checks as `note` results.
   */
  readonly include?: 'failures' | 'all';
}

// The SARIF objects below are typed only as far as we write them (see the schema for the rest).
interface SarifMessage {
  readonly text: string;
  readonly markdown?: string;
}

interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: SarifMessage;
  readonly fullDescription: SarifMessage;
  readonly help: SarifMessage;
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: Readonly<Record<string, unknown>>;
}

interface SarifLocation {
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string; readonly uriBaseId?: string };
    readonly region?: { readonly startLine: number };
  };
  readonly logicalLocations?: readonly { readonly fullyQualifiedName: string; readonly kind: string }[];
}

interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: SarifMessage;
  readonly locations?: readonly SarifLocation[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly {
    readonly tool: {
      readonly driver: {
        readonly name: string;
        readonly version: string;
        readonly semanticVersion: string;
        readonly rules: readonly SarifRule[];
      };
    };
    readonly automationDetails: { readonly id: string };
    readonly originalUriBaseIds: Readonly<Record<string, { readonly uri: string }>>;
    readonly invocations: readonly {
      readonly executionSuccessful: boolean;
      readonly endTimeUtc: string;
    }[];
    readonly results: readonly SarifResult[];
    readonly properties: Readonly<Record<string, unknown>>;
  }[];
}

/** `DIGEST_MISMATCH` → `DigestMismatch` (SARIF §3.49.7: a rule name is an identifier-like string). */
function ruleName(code: string): string {
  return code
    .toLowerCase()
    .split('_')
    .map((word) => (word ? `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}` : ''))
    .join('');
}

/** True when the string has a URL scheme (`https:`, `github:`), not counting a drive letter (`C:`). */
function hasScheme(subject: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(subject);
}

/** True for a `path.relative` result that stays inside its base (not the base itself). */
export function isInside(fromBase: string): boolean {
  return fromBase !== '' && fromBase !== '..' && !fromBase.startsWith(`..${sep}`) && !isAbsolute(fromBase);
}

/** A URI reference for a path: relative (POSIX separators, each segment percent-encoded) or `file:`. */
export function pathToSarifUri(
  file: string,
  baseDir: string,
): { readonly uri: string; readonly uriBaseId?: string } {
  // A lone UTF-16 surrogate cannot be percent-encoded; U+FFFD stands in for it.
  const wellFormed = file.replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
  const absolute = isAbsolute(wellFormed) ? wellFormed : `${baseDir}${sep}${wellFormed}`;
  const fromBase = relative(baseDir, absolute);
  if (isInside(fromBase)) {
    const uri = fromBase.split(sep).map(encodeURIComponent).join('/');
    return { uri, uriBaseId: '%SRCROOT%' };
  }
  return { uri: pathToFileURL(absolute).href };
}

/** `subject: message`, unless the message already starts with its subject. */
export function subjectAndMessage(f: Finding): string {
  return f.message.startsWith(f.subject) ? f.message : `${f.subject}: ${f.message}`;
}

/**
 * Evidence that tells findings apart without changing from run to run: strings and booleans
 * (an algorithm, a tool name, a version, a key id), not numbers (ages, counts, sizes that drift
 * with the clock or the input) and not timestamps.
 */
function stableEvidence(evidence: Finding['evidence']): string {
  const keep = (value: EvidenceValue): EvidenceValue | undefined => {
    if (typeof value === 'number') return undefined;
    if (typeof value === 'string' && RFC3339_PREFIX.test(value)) return undefined;
    if (Array.isArray(value)) {
      const kept = (value as readonly EvidenceValue[]).map(keep).filter((v) => v !== undefined);
      return kept;
    }
    return value;
  };
  const entries = Object.keys(evidence)
    .sort()
    .flatMap((key) => {
      const value = keep(evidence[key] as EvidenceValue);
      return value === undefined ? [] : [[key, value] as const];
    });
  return JSON.stringify(entries);
}
const RFC3339_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Stable across runs so code scanning tracks one alert per finding: code, subject, place
 * (file and JSON pointer; not the line, which moves when an inventory gains rows) and the
 * stable part of its evidence. Findings that still agree on
 * all of these get an occurrence number in report order (which is sorted), so every result in
 * a log has its own fingerprint.
 */
function fingerprints(
  findings: readonly Finding[],
  place: (f: Finding) => FindingPlace | undefined,
): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const where = place(f);
    const parts = [
      f.code,
      f.subject,
      where?.file ?? '',
      f.location?.pointer ?? '',
      stableEvidence(f.evidence),
    ];
    const base = createHash('sha256').update(parts.join('\u0000')).digest('hex');
    const occurrence = (seen.get(base) ?? 0) + 1;
    seen.set(base, occurrence);
    return `${base}:${occurrence}`;
  });
}

/**
 * The rule for a code, rated by the worst severity its findings have in this report. That is
 * the registry severity unless a check set another (an advisory's own severity, a passed check
 * reported as info): code scanning rates every alert of a rule by the rule's
 * `security-severity`, so an info finding must not inherit a critical rating.
 */
function ruleFor(code: FindingCode, severity: Severity): SarifRule {
  const info = FINDING_CODES[code];
  const securitySeverity = SECURITY_SEVERITY[severity];
  return {
    id: code,
    name: ruleName(code),
    shortDescription: { text: info.title },
    fullDescription: { text: info.help },
    help: { text: info.help, markdown: `**${info.title}**\n\n${info.help}` },
    defaultConfiguration: { level: SARIF_LEVEL[severity] },
    properties: {
      ...(securitySeverity === undefined ? {} : { 'security-severity': securitySeverity }),
      tags: ['security', 'supply-chain'],
      precision: 'very-high',
    },
  };
}

/** Where a finding points in the file system, for SARIF locations and Action annotations. */
export interface FindingPlace {
  readonly file: string;
  readonly line?: number;
}

/**
 * Places findings: at `finding.location` when it has one, else at the subject when the report
 * lists that subject as a file (an artifact, manifest, SBOM... path, not a URL or an endpoint),
 * else at `fallbackFile` when given.
 */
export function findingLocator(
  report: Report,
  fallbackFile?: string,
): (f: Finding) => FindingPlace | undefined {
  const pathSubjects = new Set(
    report.subjects
      .filter((s) => FILE_SUBJECT_KINDS.has(s.kind) && !hasScheme(s.subject))
      .map((s) => s.subject),
  );
  return (f) => {
    let place: FindingPlace | undefined;
    if (f.location) {
      place = { file: f.location.file, ...(f.location.line === undefined ? {} : { line: f.location.line }) };
    } else if (pathSubjects.has(f.subject)) {
      place = { file: f.subject };
    } else if (fallbackFile !== undefined) {
      place = { file: fallbackFile };
    }
    if (place === undefined || place.file === '' || hasScheme(place.file)) return undefined;
    return place;
  };
}

/**
 * `--format sarif`: a SARIF 2.1.0 log with one rule per finding code used (title, help,
 * level, security-severity from the registry) and one result per finding, ready for
 * github/codeql-action/upload-sarif.
 */
export function renderSarifLog(report: Report, options: SarifOptions = {}): SarifLog {
  const baseDir = options.baseDir ?? process.cwd();
  const manifest = report.subjects.find((s) => s.kind === 'manifest' && !hasScheme(s.subject));
  const locate = findingLocator(report, options.fallbackFile ?? manifest?.subject);
  const shown =
    options.include === 'all' ? report.findings : report.findings.filter((f) => f.severity !== 'info');
  const codes = [...new Set(shown.map((f) => f.code))].sort();
  const ruleIndex = new Map(codes.map((code, index) => [code, index]));
  const worst = new Map<FindingCode, Severity>();
  for (const f of shown) {
    const seen = worst.get(f.code);
    if (seen === undefined || severityRank(f.severity) > severityRank(seen)) worst.set(f.code, f.severity);
  }

  const ids = fingerprints(shown, locate);
  const results = shown.map((f, index): SarifResult => {
    const place = locate(f);
    const file = place?.file;
    const line = place?.line;
    const locations: SarifLocation[] = [];
    if (file !== undefined) {
      locations.push({
        physicalLocation: {
          artifactLocation: pathToSarifUri(file, baseDir),
          ...(line !== undefined && Number.isInteger(line) && line >= 1
            ? { region: { startLine: line } }
            : {}),
        },
        ...(f.location?.pointer === undefined
          ? {}
          : { logicalLocations: [{ fullyQualifiedName: f.location.pointer, kind: 'object' }] }),
      });
    }
    return {
      ruleId: f.code,
      ruleIndex: ruleIndex.get(f.code) ?? 0,
      level: SARIF_LEVEL[f.severity],
      message: { text: subjectAndMessage(f) },
      ...(locations.length > 0 ? { locations } : {}),
      partialFingerprints: { 'rmmVerifyFinding/v2': ids[index] ?? '' },
      properties: {
        severity: f.severity,
        subject: f.subject,
        evidence: f.evidence,
        ...(f.location?.pointer === undefined ? {} : { pointer: f.location.pointer }),
      },
    };
  });

  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules: codes.map((code) => ruleFor(code, worst.get(code) ?? FINDING_CODES[code].severity)),
          },
        },
        automationDetails: { id: `rmm-verify/${report.command}/` },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${baseDir}${sep}`).href } },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results,
        properties: {
          result: report.result,
          failOn: report.failOn,
          summary: report.summary,
          ...(report.notices !== undefined ? { notices: report.notices } : {}),
        },
      },
    ],
  };
}

export function renderSarif(report: Report, options: SarifOptions = {}): string {
  return `${JSON.stringify(renderSarifLog(report, options), null, 2)}\n`;
}
