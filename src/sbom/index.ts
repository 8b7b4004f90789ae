/** sbom/: CycloneDX 1.4–1.6 and SPDX 2.3 JSON — parse, validate, bind, minimum elements, diff, policy. */
export {
  CYCLONEDX_VERSIONS,
  parseSbom,
  readSbomFile,
  type CycloneDxVersion,
  type SbomDocument,
  type SbomFormat,
  type SbomKind,
  type SbomLimits,
} from './document.ts';
export type { Sbom, SbomComponent, SbomHash, SbomLicense } from './model.ts';
export { normalizeSbom, type NormalizedSbom } from './normalize.ts';
export { validateSbom, type SbomValidation, type ValidateOptions } from './validate.ts';
export { checkBinding, checkSbomPin, type BindingExpectation } from './bind.ts';
export {
  checkMinimumElements,
  type MinimumElement,
  type MinimumElementsResult,
  type MinimumElementsSummary,
} from './ntia.ts';
export {
  DIFF_FORMATS,
  diffIsEmpty,
  diffSboms,
  renderDiff,
  type DiffComponent,
  type DiffSide,
  type DiffFormat,
  type LicenseChange,
  type SbomDiff,
  type VersionChange,
} from './diff.ts';
export { LicenseEvaluator, type LicensePolicy, type LicenseVerdict } from './license.ts';
export {
  OsvDatabase,
  affectsVersion,
  loadOsvDirectory,
  parseOsvRecord,
  rangeAffects,
  type OsvAffected,
  type OsvEvent,
  type OsvRange,
  type OsvRecord,
} from './osv.ts';
export {
  POLICY_SCHEMA,
  checkPolicy,
  parsePolicy,
  readPolicyFile,
  type DeniedComponent,
  type PolicyCheckOptions,
  type SbomPolicy,
} from './policy.ts';
export { parsePurl, purlPackageKey, type PackageUrl } from './purl.ts';
export { parseVersionRange, rangeIncludes, type VersionRange } from './version-range.ts';
export {
  PURL_ECOSYSTEMS,
  VERSION_ORDERINGS,
  compareMavenVersions,
  compareNuGet,
  comparePep440,
  orderingFor,
  parseNuGetVersion,
  parsePep440,
  type VersionOrdering,
} from './versions/index.ts';
export { sbomCheck, sbomCandidates } from './artifact-check.ts';
