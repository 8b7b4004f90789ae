/** The library API: an explicit allow-list of what rmm-verify offers to other programs. */
export { VERSION } from './version.ts';
export { InputError, RmmVerifyError, UsageError, type ErrorLocation } from './errors.ts';
export {
  ExitCode,
  FINDING_CODES,
  countBySeverity,
  exitCodeFor,
  failsAt,
  finding,
  sortFindings,
  type EvidenceValue,
  type Finding,
  type FindingCode,
  type FindingCodeInfo,
  type Severity,
} from './findings.ts';
export * from './digest/index.ts';
export * from './report/index.ts';
export * from './manifest/index.ts';
export * from './artifact/index.ts';
export { writeFileAtomic } from './fs/atomic-write.ts';
// authenticode/
// sigstore/
// github/
// sbom/
// fleet/
