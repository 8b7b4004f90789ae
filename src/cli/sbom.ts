import { resolve } from 'node:path';

import { UsageError } from '../errors.ts';
import type { Finding } from '../findings.ts';
import type { SubjectResult } from '../report/report.ts';
import type { SbomDocument } from '../sbom/document.ts';
import type { OsvDatabase } from '../sbom/osv.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  oneOf,
  parseCommandArgs,
  requireFlag,
  severityFlag,
} from './args.ts';
import { write, type CliIo } from './io.ts';

// Each subcommand loads its modules after its arguments are understood (cold start): --help and
// usage errors load no SBOM, schema or report code.
const loadReporting = () =>
  Promise.all([import('../report/render.ts'), import('../report/report.ts'), import('./output.ts')]);

const HELP = `Usage: rmm-verify sbom <validate|diff|check> [options]

  validate FILE...            validate CycloneDX 1.4/1.5/1.6 or SPDX 2.3 JSON SBOMs
  diff OLD NEW                components added, removed and changed between two SBOMs
  check FILE... --policy P    denied components and licences, NTIA coverage, OSV vulnerabilities

Run 'rmm-verify sbom <subcommand> --help' for its options.
Exit codes: 0 pass, 1 invalid document or policy violated, 2 unreadable or non-JSON input, bad flags.`;

const VALIDATE_HELP = `Usage: rmm-verify sbom validate FILE... [options]

Validates each SBOM against the bundled official CycloneDX JSON Schema of its specVersion
(1.4, 1.5, 1.6) or the SPDX 2.3 structure, and checks that bom-refs/SPDXIDs are unique and
that dependencies and relationships name existing elements. Errors give JSON pointers.
Reports NTIA minimum-elements coverage (supplier, name, version, purl/CPE/SWID of every
component, the subject included; dependencies of the subject, author, timestamp).

Options:
      --ntia          fail on missing NTIA minimum elements (one finding per component)
  -f, --format F      text | json | sarif | junit | markdown | csv (default text)
      --fail-on S     critical | high | medium | low (default low)
  -h, --help          show this help

Exit codes: 0 valid; 1 invalid (schema error, duplicate or unknown reference, unsupported
format); 2 unreadable, too large, not UTF-8 or not well-formed JSON (duplicate keys, nesting).`;

const DIFF_HELP = `Usage: rmm-verify sbom diff OLD NEW [options]

Compares two SBOMs (any supported format, also across formats): components added, removed and
changed, keyed by purl without version (falling back to group/name), licence changes, and
suppliers the new SBOM names that the old one does not.

Options:
  -f, --format F      text | json | markdown (default text)
  -h, --help          show this help

Exit codes: 0 diff written (whether or not there are differences); 2 unreadable input.`;

const CHECK_HELP = `Usage: rmm-verify sbom check FILE... --policy P [--osv DIR] [options]

Validates each SBOM and evaluates it against a policy file (JSON, see the README): denied
components and version ranges per purl, denied or allowed licences (SPDX expressions are
evaluated, not string-matched), required licences, a minimum NTIA coverage; with --osv, every
component (the SBOM's subject included) is matched offline against the OSV records (*.json) in DIR: SEMVER and ECOSYSTEM
ranges for npm, NuGet, Go, PyPI, Maven and generic SemVer. Components that cannot be checked
(no purl, unknown ecosystem, unparseable version) are reported, not passed.

Options:
  -p, --policy FILE   policy file (required)
      --osv DIR       directory of OSV records to match against (recursive)
  -f, --format F      text | json | sarif | junit | markdown | csv (default text)
      --fail-on S     critical | high | medium | low (default low)
  -h, --help          show this help`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'validate':
      return runValidate(rest, io);
    case 'diff':
      return runDiff(rest, io);
    case 'check':
      return runCheck(rest, io);
    case undefined:
      write(io.stderr, HELP);
      return 2;
    case '--help':
    case '-h':
    case 'help':
      write(io.stdout, HELP);
      return 0;
    default:
      throw new UsageError(`sbom: unknown subcommand '${sub}' (expected validate, diff or check)`);
  }
}

function subjectFor(
  document: SbomDocument,
  findings: readonly Finding[],
  facts: SubjectResult['facts'],
): SubjectResult {
  const failed = findings.some(
    (f) =>
      f.severity !== 'info' && (f.subject === document.file || f.subject.startsWith(`${document.file}#`)),
  );
  return {
    subject: document.file,
    kind: 'sbom',
    result: failed ? 'fail' : 'pass',
    facts: {
      format:
        document.kind.format === 'unsupported'
          ? 'unsupported'
          : `${document.kind.format} ${document.kind.specVersion}`,
      sha256: document.sha256,
      ...facts,
    },
  };
}

async function runValidate(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('sbom validate', args, {
    ...helpOption,
    ...formatOption,
    ...failOnOption,
    ntia: { type: 'boolean' },
  });
  if (values.help) {
    write(io.stdout, VALIDATE_HELP);
    return 0;
  }
  const [[{ parseReportFormat }, { buildReport }, { emitReport }], { readSbomFile }, { validateSbom }, ntia] =
    await Promise.all([
      loadReporting(),
      import('../sbom/document.ts'),
      import('../sbom/validate.ts'),
      import('../sbom/ntia.ts'),
    ]);
  const format = parseReportFormat('sbom validate', values.format);
  const failOn = severityFlag('sbom validate', values['fail-on']);
  if (positionals.length === 0) throw new UsageError('sbom validate: name at least one SBOM file');
  const subjects: SubjectResult[] = [];
  const findings: Finding[] = [];
  for (const file of positionals) {
    const document = await readSbomFile(resolve(io.cwd, file));
    const renamed = { ...document, file };
    const validation = await validateSbom(renamed);
    const own: Finding[] = [...validation.findings];
    const facts: Record<string, number> = {};
    if (validation.sbom) {
      const coverage = ntia.checkMinimumElements(
        validation.sbom,
        values.ntia ? { severity: 'low' } : { severity: 'info', maxFindings: 0 },
      );
      own.push(...coverage.findings);
      facts['subjects'] = validation.sbom.subjects.length;
      facts['components'] = validation.sbom.components.length;
      facts['ntiaPercent'] = coverage.summary.percent;
    }
    findings.push(...own);
    subjects.push(subjectFor(renamed, own, facts));
  }
  return emitReport(
    io,
    buildReport({ command: 'sbom validate', now: io.now, subjects, findings, failOn }),
    format,
  );
}

async function runDiff(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('sbom diff', args, { ...helpOption, ...formatOption });
  if (values.help) {
    write(io.stdout, DIFF_HELP);
    return 0;
  }
  const [{ DIFF_FORMATS, diffSboms, renderDiff }, { readSbomFile }, { normalizeSbom }] = await Promise.all([
    import('../sbom/diff.ts'),
    import('../sbom/document.ts'),
    import('../sbom/normalize.ts'),
  ]);
  const format = oneOf('sbom diff', 'format', values.format, DIFF_FORMATS, 'text');
  if (positionals.length !== 2) throw new UsageError('sbom diff: name exactly two SBOM files, OLD and NEW');
  const [oldFile = '', newFile = ''] = positionals;
  const load = async (file: string) => {
    const document = { ...(await readSbomFile(resolve(io.cwd, file))), file };
    if (document.kind.format === 'unsupported') {
      throw new UsageError(`sbom diff: ${file} is not a supported SBOM: ${document.kind.reason}`);
    }
    return normalizeSbom(document).sbom;
  };
  const [before, after] = await Promise.all([load(oldFile), load(newFile)]);
  io.stdout.write(renderDiff(diffSboms(before, after), format));
  return 0;
}

async function runCheck(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('sbom check', args, {
    ...helpOption,
    ...formatOption,
    ...failOnOption,
    policy: { type: 'string', short: 'p' },
    osv: { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, CHECK_HELP);
    return 0;
  }
  const [
    [{ parseReportFormat }, { buildReport }, { emitReport }],
    { readSbomFile },
    { validateSbom },
    { checkPolicy, readPolicyFile },
  ] = await Promise.all([
    loadReporting(),
    import('../sbom/document.ts'),
    import('../sbom/validate.ts'),
    import('../sbom/policy.ts'),
  ]);
  const format = parseReportFormat('sbom check', values.format);
  const failOn = severityFlag('sbom check', values['fail-on']);
  const policy = await readPolicyFile(resolve(io.cwd, requireFlag('sbom check', 'policy', values.policy)));
  if (positionals.length === 0) throw new UsageError('sbom check: name at least one SBOM file');
  const findings: Finding[] = [];
  let osv: OsvDatabase | undefined;
  let osvRecords: number | undefined;
  if (values.osv !== undefined) {
    const { loadOsvDirectory } = await import('../sbom/osv.ts');
    const loaded = await loadOsvDirectory(resolve(io.cwd, values.osv));
    osv = loaded.database;
    osvRecords = loaded.database.size;
    findings.push(...loaded.findings);
  }
  const subjects: SubjectResult[] = [];
  for (const file of positionals) {
    const document = { ...(await readSbomFile(resolve(io.cwd, file))), file };
    const validation = await validateSbom(document);
    const own: Finding[] = [...validation.findings];
    if (validation.sbom) own.push(...checkPolicy(validation.sbom, policy, osv ? { osv } : {}));
    findings.push(...own);
    subjects.push(
      subjectFor(document, own, {
        subjects: validation.sbom?.subjects.length ?? 0,
        components: validation.sbom?.components.length ?? 0,
        ...(osvRecords !== undefined ? { osvRecords } : {}),
      }),
    );
  }
  return emitReport(
    io,
    buildReport({ command: 'sbom check', now: io.now, subjects, findings, failOn }),
    format,
  );
}
