import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';

import type { ArtifactCheck, ArtifactCheckResult, ArtifactContext } from '../artifact/check.ts';
import { defaults } from '../defaults.ts';
import { digestsEqual } from '../digest/index.ts';
import { RmmVerifyError } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import { readBoundedFile } from '../json/index.ts';
import type { SbomPin } from '../manifest/types.ts';
import { checkBinding, checkSbomPin } from './bind.ts';
import { parseSbom } from './document.ts';
import { checkMinimumElements } from './ntia.ts';
import { validateSbom } from './validate.ts';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    // Missing or inaccessible: not a candidate; the caller reports SBOM_MISSING if none is.
    return false;
  }
}

/**
 * Where to look for an artifact's SBOM, in order: the pinned path relative to the manifest's
 * directory; then the pinned file name (or `<artifact>.cdx.json` / `<artifact>.spdx.json`)
 * next to the artifact and in each evidence directory.
 */
export function sbomCandidates(context: ArtifactContext, pin: SbomPin): string[] {
  const candidates: string[] = [];
  const names: string[] = [];
  if (pin.path !== undefined) {
    candidates.push(isAbsolute(pin.path) ? pin.path : resolve(context.manifestDir, pin.path));
    names.push(basename(pin.path));
  } else {
    const extensions = pin.format === 'spdx' ? ['.spdx.json', '.cdx.json'] : ['.cdx.json', '.spdx.json'];
    for (const base of new Set([context.artifact.name, basename(context.path)])) {
      for (const extension of extensions) names.push(`${base}${extension}`);
    }
  }
  for (const dir of [dirname(context.path), ...context.options.evidenceDirs]) {
    for (const name of names) candidates.push(resolve(dir, name));
  }
  return [...new Set(candidates)];
}

/**
 * The `verify` step for SBOMs: whenever the manifest pins an SBOM for the artifact, the file must
 * exist, match the pinned sha256 and format, validate against its schema, and describe this
 * product, version and (where it records hashes) these bytes. NTIA coverage is reported as a fact.
 *
 * The pin is checked on the raw bytes before anything parses them: a file that is not the pinned
 * one is reported and goes no further, so whoever can drop a file into an evidence directory
 * cannot make the gate parse or validate content no key vouches for (a hostile document could
 * otherwise cost minutes of schema validation). The bytes hashed are the bytes parsed.
 */
export const sbomCheck: ArtifactCheck = {
  name: 'sbom',
  async run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined> {
    const pin = context.artifact.sbom;
    if (!pin) return undefined;
    const candidates = sbomCandidates(context, pin);
    let path: string | undefined;
    for (const candidate of candidates) {
      if (await isFile(candidate)) {
        path = candidate;
        break;
      }
    }
    if (path === undefined) {
      return {
        findings: [
          finding('SBOM_MISSING', {
            subject: context.subject,
            message: `the manifest pins a ${pin.format} SBOM (sha256 ${pin.sha256}) but none was found; looked at ${candidates.join(', ')}`,
            evidence: { looked: candidates, sha256: pin.sha256 },
          }),
        ],
        facts: { sbom: 'missing' },
      };
    }
    let document;
    try {
      const bytes = await readBoundedFile(path, defaults.maxSbomBytes, 'SBOM');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (!digestsEqual(pin.sha256, sha256)) {
        return {
          findings: [
            finding('SBOM_DIGEST_MISMATCH', {
              subject: path,
              message: `sha256 of the SBOM is ${sha256}; the manifest pins ${pin.sha256.toLowerCase()}; the file was not parsed`,
              evidence: { expected: pin.sha256.toLowerCase(), actual: sha256 },
            }),
          ],
          facts: { sbom: path },
        };
      }
      document = parseSbom(bytes, path);
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      return {
        findings: [
          finding('SBOM_UNREADABLE', {
            subject: path,
            message: error.message,
            evidence: { error: (error as RmmVerifyError).code },
            location: {
              file: path,
              ...(error.location.line !== undefined ? { line: error.location.line } : {}),
              ...(error.location.pointer !== undefined ? { pointer: error.location.pointer } : {}),
            },
          }),
        ],
        facts: { sbom: path },
      };
    }
    const findings: Finding[] = [...checkSbomPin(document, pin)];
    const validation = await validateSbom(document);
    findings.push(...validation.findings);
    const facts: Record<string, string | number> = { sbom: path, sbomFormat: pin.format };
    if (validation.sbom) {
      findings.push(
        ...checkBinding(validation.sbom, {
          product: context.manifest.product,
          ...(context.manifest.aliases ? { aliases: context.manifest.aliases } : {}),
          version: context.release.version,
          digests: { ...context.artifact.digests, ...context.digests },
        }),
      );
      const ntia = checkMinimumElements(validation.sbom, { severity: 'info', maxFindings: 0 });
      facts['sbomComponents'] = validation.sbom.components.length;
      facts['sbomNtiaPercent'] = ntia.summary.percent;
    }
    return { findings, facts };
  },
};
