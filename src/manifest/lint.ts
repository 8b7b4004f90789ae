import { finding, type Finding } from '../findings.ts';
import { parseRfc3339 } from '../time/rfc3339.ts';
import type { LoadedManifest } from './load.ts';
import { compileVersionPolicy } from './version-policy.ts';

export interface LintOptions {
  readonly now: Date;
  /** Warn when the manifest expires within this many days. */
  readonly expiryWarningDays: number;
}

/** Policy problems in a well-formed manifest: things that are valid JSON but wrong. */
export function lintManifest(loaded: LoadedManifest, options: LintOptions): Finding[] {
  const { manifest } = loaded;
  const subject = loaded.path;
  const findings: Finding[] = [];
  const { policy } = manifest;
  const location = (pointer: string) => ({ location: { file: loaded.path, pointer } });

  const compiled = compileVersionPolicy(manifest);
  if (!manifest.releases.some((r) => compiled.scheme.normalise(r.version) === compiled.target)) {
    findings.push(
      finding('MANIFEST_LINT_TARGET_NOT_RELEASED', {
        subject,
        message: `${subject}: policy.target ${policy.target} has no entry in releases (${manifest.releases.map((r) => r.version).join(', ') || 'none'})`,
        evidence: { target: policy.target },
        ...location('/policy/target'),
      }),
    );
  }
  const verdict = compiled.evaluate(policy.target);
  if (verdict.revokedBy !== undefined) {
    findings.push(
      finding('MANIFEST_LINT_TARGET_REVOKED', {
        subject,
        message: `${subject}: policy.target ${policy.target} is revoked by "${verdict.revokedBy}"`,
        evidence: { target: policy.target, revoked: verdict.revokedBy },
        ...location('/policy/revoked'),
      }),
    );
  }
  if (verdict.belowMinimum) {
    findings.push(
      finding('MANIFEST_LINT_MINIMUM_ABOVE_TARGET', {
        subject,
        message: `${subject}: policy.target ${policy.target} does not satisfy policy.minimum "${policy.minimum ?? ''}"`,
        evidence: { target: policy.target, minimum: policy.minimum ?? '' },
        ...location('/policy/minimum'),
      }),
    );
  }
  const seen = new Map<string, string>();
  manifest.releases.forEach((release, r) => {
    release.artifacts.forEach((artifact, a) => {
      const pointer = `/releases/${r}/artifacts/${a}`;
      const sha256 = artifact.digests.sha256;
      if (sha256 === undefined) {
        findings.push(
          finding('MANIFEST_LINT_NO_SHA256', {
            subject,
            message: `${subject}: ${pointer} (${artifact.name}) pins ${Object.keys(artifact.digests).join(', ')} but not sha256`,
            evidence: { artifact: artifact.name, version: release.version },
            ...location(`${pointer}/digests`),
          }),
        );
        return;
      }
      const earlier = seen.get(sha256);
      if (earlier !== undefined) {
        findings.push(
          finding('MANIFEST_LINT_DUPLICATE_ARTIFACT', {
            subject,
            message: `${subject}: ${pointer} (${artifact.name}) has the same sha256 as ${earlier}`,
            evidence: { sha256 },
            ...location(`${pointer}/digests/sha256`),
          }),
        );
      }
      seen.set(sha256, pointer);
    });
  });
  const expires = parseRfc3339(manifest.expires) ?? Number.NaN;
  const daysLeft = (expires - options.now.getTime()) / 86_400_000;
  if (daysLeft <= 0) {
    findings.push(
      finding('MANIFEST_EXPIRED', {
        subject,
        message: `${subject}: expired at ${manifest.expires}`,
        evidence: { expires: manifest.expires },
        ...location('/expires'),
      }),
    );
  } else if (daysLeft <= options.expiryWarningDays) {
    findings.push(
      finding('MANIFEST_LINT_EXPIRES_SOON', {
        subject,
        message: `${subject}: expires ${manifest.expires}, in ${daysLeft.toFixed(1)} days (warning window ${options.expiryWarningDays} days)`,
        evidence: { expires: manifest.expires, daysLeft: Math.floor(daysLeft) },
        ...location('/expires'),
      }),
    );
  }
  return findings;
}
