import { resolve } from 'node:path';

import { UsageError, errorMessage } from '../errors.ts';
import type { EvidenceValue } from '../findings.ts';
import type { SubjectResult } from '../report/report.ts';
import { joinTextLines } from '../report/escape-text.ts';
import type { Certificate } from '../authenticode/certificate.ts';
import type { AuthenticodeResult, PinnedSigner } from '../authenticode/verifier.ts';
import { failOnOption, formatOption, helpOption, oneOf, parseCommandArgs, severityFlag } from './args.ts';
import { write, type CliIo } from './io.ts';

const HELP = `Usage: rmm-verify authenticode inspect FILE... [options]

Verifies and describes the Authenticode signatures of Windows PE (PE32/PE32+, EFI) and MSI
files: every signature (certificate-table entries and nested signatures), its signer and
chain, RFC 3161 timestamps and legacy countersignatures, the signed and computed digests, and
findings. Strict by default: data hidden after the PKCS#7 (CVE-2013-3900 padding), data after
the certificate table and unknown unauthenticated attributes fail.

Options:
      --root FILE             pinned root or intermediate certificate (PEM or DER); repeatable
      --timestamp-root FILE   pinned timestamp-authority root; repeatable (default: the --root files)
      --subject NAME          require this signer subject DN (CN=..., O=...) or CN
      --thumbprint HEX        require this SHA-256 thumbprint in the signer's chain
      --system-roots          also trust the system certificate store (off by default)
      --signatures all|any    all signatures must verify (default) or at least one, all intact
      --lenient               report padding gaps and unknown unsigned attributes without failing
      --at TIME               verify as of this RFC 3339 time instead of now
  -f, --format F              text | json | sarif | junit | markdown | csv (default text)
      --fail-on S             critical | high | medium | low (default low)
  -h, --help                  show this help

Without --root (or --system-roots) no signer is trusted and chains are reported as untrusted.

Exit codes: 0 every file verified; 1 a signature is missing, invalid or untrusted; 2 bad flags,
unreadable file, or a malformed PE/MSI (the message names the byte offset).`;

const options = {
  ...formatOption,
  ...failOnOption,
  ...helpOption,
  root: { type: 'string', multiple: true },
  'timestamp-root': { type: 'string', multiple: true },
  subject: { type: 'string' },
  thumbprint: { type: 'string' },
  'system-roots': { type: 'boolean' },
  signatures: { type: 'string' },
  lenient: { type: 'boolean' },
  at: { type: 'string' },
} as const;

async function loadAll(
  io: CliIo,
  paths: readonly string[] | undefined,
  flag: string,
): Promise<Certificate[]> {
  const list: Certificate[] = [];
  if (paths === undefined || paths.length === 0) return list;
  const { loadCertificates } = await import('../authenticode/trust.ts');
  for (const path of paths) {
    try {
      list.push(...(await loadCertificates(resolve(io.cwd, path))));
    } catch (error: unknown) {
      throw new UsageError(`authenticode: --${flag}: ${errorMessage(error)}`);
    }
  }
  return list;
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
    write(subcommand === undefined ? io.stderr : io.stdout, HELP);
    return subcommand === undefined ? 2 : 0;
  }
  if (subcommand !== 'inspect') {
    throw new UsageError(`authenticode: unknown subcommand '${subcommand}' (expected 'inspect')`);
  }
  const { values, positionals } = parseCommandArgs('authenticode inspect', rest, options);
  if (values.help) {
    write(io.stdout, HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('authenticode inspect: give at least one FILE');
  // Loaded once the arguments are understood (cold start): --help loads no parser or report code.
  const [{ parseReportFormat }, { buildReport }, { emitReport }, { verifyAuthenticodeFiles }] =
    await Promise.all([
      import('../report/render.ts'),
      import('../report/report.ts'),
      import('./output.ts'),
      import('../authenticode/verify-files.ts'),
    ]);
  const format = parseReportFormat('authenticode inspect', values.format);
  const failOn = severityFlag('authenticode inspect', values['fail-on']);
  const signatures = oneOf('authenticode inspect', 'signatures', values.signatures, ['all', 'any'], 'all');
  let now = io.now;
  if (values.at !== undefined) {
    now = new Date(values.at);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(values.at) || Number.isNaN(now.getTime())) {
      throw new UsageError(`authenticode inspect: --at must be an RFC 3339 time; got '${values.at}'`);
    }
  }
  if (values.thumbprint !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.thumbprint)) {
    throw new UsageError('authenticode inspect: --thumbprint must be 64 hex characters (SHA-256)');
  }
  const roots = await loadAll(io, values.root, 'root');
  const timestampRoots = values['timestamp-root']
    ? await loadAll(io, values['timestamp-root'], 'timestamp-root')
    : roots;
  const useSystem = values['system-roots'] === true;
  const signers: PinnedSigner[] =
    roots.length > 0 || useSystem
      ? [
          {
            label: '--root',
            roots,
            timestampRoots,
            ...(values.subject !== undefined ? { subject: values.subject } : {}),
            ...(values.thumbprint !== undefined ? { thumbprint: values.thumbprint } : {}),
          },
        ]
      : [];
  // Every core verifies files; results and the first input error come in file order.
  const results: AuthenticodeResult[] = await verifyAuthenticodeFiles(
    positionals.map((file) => ({ path: resolve(io.cwd, file), subject: file })),
    { signers, systemRoots: useSystem, policy: { signatures, strict: values.lenient !== true }, now },
  );
  const subjects: SubjectResult[] = results.flatMap((result) => [
    {
      subject: result.subject,
      kind: 'authenticode',
      result: result.passed ? 'pass' : 'fail',
      facts: { format: result.format, signed: result.signed, signatures: result.signatures.length },
    },
    ...result.signatures.map((signature): SubjectResult => ({
      subject: `${result.subject} [${signature.label}]`,
      kind: 'signature',
      result: signature.intact && signature.trusted ? 'pass' : 'fail',
      facts: signatureFacts(signature),
    })),
  ]);
  const report = buildReport({
    command: 'authenticode inspect',
    now: io.now,
    // Text shows signatures in the tree above; JSON carries them as subjects.
    subjects: format === 'text' ? subjects.filter((s) => s.kind === 'authenticode') : subjects,
    findings: results.flatMap((r) => r.findings),
    failOn,
  });
  if (format === 'text') write(io.stdout, results.map(describe).join('\n'));
  return emitReport(io, report, format);
}

function signatureFacts(signature: AuthenticodeResult['signatures'][number]): Record<string, EvidenceValue> {
  return {
    digestAlgorithm: signature.digestAlgorithm ?? null,
    signedDigest: signature.signedDigest ?? null,
    computedDigest: signature.computedDigest ?? null,
    signer: signature.signer?.subject ?? null,
    issuer: signature.signer?.issuer ?? null,
    thumbprint: signature.signer?.thumbprint ?? null,
    chain: signature.chain.map((c) => c.subject),
    timestamps: signature.timestamps.map(
      (t) => `${t.kind} ${t.time ?? '?'} by ${t.signer?.subject ?? '?'} (${t.valid ? 'valid' : 'invalid'})`,
    ),
    pinnedBy: signature.pinnedBy ?? null,
  };
}

/** A readable tree of one file's signatures, printed before the findings in text format. */
function describe(result: AuthenticodeResult): string {
  const lines = [
    `${result.subject}: ${result.format}, ${result.signed ? `${result.signatures.length} signature(s)` : 'unsigned'}`,
  ];
  for (const signature of result.signatures) {
    lines.push(
      `  [${signature.label}] at ${result.format === 'msi' ? 'signature-stream offset' : 'byte offset'} ${signature.offset}: ${signature.intact ? 'intact' : 'NOT intact'}, ${signature.trusted ? `trusted (${signature.pinnedBy ?? ''})` : 'NOT trusted'}`,
    );
    lines.push(`    digest   ${signature.digestAlgorithm ?? '?'} signed ${signature.signedDigest ?? '?'}`);
    lines.push(`             computed ${signature.computedDigest ?? '?'}`);
    if (signature.signer) {
      lines.push(`    signer   ${signature.signer.subject}`);
      lines.push(
        `             sha256 ${signature.signer.thumbprint}, valid ${signature.signer.notBefore} to ${signature.signer.notAfter}`,
      );
    }
    signature.chain
      .slice(1)
      .forEach((certificate) =>
        lines.push(`    chain    ${certificate.subject} (sha256 ${certificate.thumbprint})`),
      );
    for (const timestamp of signature.timestamps) {
      lines.push(
        `    time     ${timestamp.kind} ${timestamp.time ?? '?'} by ${timestamp.signer?.subject ?? '?'}: ${timestamp.valid ? 'valid' : timestamp.problems.join('; ')}`,
      );
    }
  }
  return joinTextLines(lines);
}
