import { access } from 'node:fs/promises';

import { defaults } from '../defaults.ts';
import { finding, type Finding } from '../findings.ts';
import { parseRfc3339 } from '../time/rfc3339.ts';
import { verifyBytes } from './keys.ts';
import type { LoadedManifest } from './load.ts';
import { defaultSignaturePath, readSignatureFile, type SignatureFile } from './signature-file.ts';
import { manifestSha256, readState, recordAccepted, type ManifestState } from './state.ts';
import { vouchVerified, type TrustedManifest } from './trusted.ts';
import { keyMaySign, type TrustRoot } from './trust-root.ts';

export interface ManifestTrustInput {
  readonly now: Date;
  /** Detached signatures; undefined when there is no signature file. */
  readonly signatures: SignatureFile | undefined;
  /** Last accepted serials; undefined skips the rollback check (only when asked explicitly). */
  readonly state: ManifestState | undefined;
}

export interface ManifestTrustResult {
  /** True only when every check passed. */
  readonly trusted: boolean;
  readonly findings: readonly Finding[];
  /** Distinct trusted keys whose signatures verified and may sign this product. */
  readonly validKeyIds: readonly string[];
  /** The manifest, when trusted: the only form `scanDrift` accepts without an explicit opt-out. */
  readonly manifest?: TrustedManifest;
}

const short = (keyid: string) => keyid.slice(0, 16);

/**
 * Decides whether a manifest is trusted: a threshold of distinct trusted keys allowed for the
 * product signed its exact bytes, it is not expired or issued in the future, and its serial is
 * not below (or equal with other bytes to) the last accepted one. Pure: no I/O.
 */
export function verifyManifestTrust(
  loaded: LoadedManifest,
  trust: TrustRoot,
  input: ManifestTrustInput,
): ManifestTrustResult {
  const { manifest } = loaded;
  const subject = loaded.path;
  const findings: Finding[] = [];
  const rejections: { code: Parameters<typeof finding>[0]; message: string; keyid: string }[] = [];
  const valid = new Set<string>();
  const signatures = input.signatures?.signatures ?? [];

  signatures.forEach((entry, index) => {
    const label = `signature ${index + 1} (key ${short(entry.keyid)})`;
    const key = trust.keys.get(entry.keyid);
    if (!key) {
      rejections.push({
        code: 'MANIFEST_SIGNATURE_UNKNOWN_KEY',
        keyid: entry.keyid,
        message: `${label}: key is not in the trust root ${trust.path}`,
      });
      return;
    }
    if (!verifyBytes(key, loaded.bytes, Buffer.from(entry.signature, 'base64'))) {
      rejections.push({
        code: 'MANIFEST_SIGNATURE_INVALID',
        keyid: entry.keyid,
        message: `${label} "${key.name}": does not verify over the manifest's ${loaded.bytes.length} bytes`,
      });
      return;
    }
    if (!keyMaySign(key, manifest.product)) {
      rejections.push({
        code: 'MANIFEST_KEY_NOT_ALLOWED',
        keyid: entry.keyid,
        message: `${label} "${key.name}": key may sign ${key.products.join(', ')}, not ${manifest.product}`,
      });
      return;
    }
    if (valid.has(entry.keyid)) {
      rejections.push({
        code: 'MANIFEST_THRESHOLD_NOT_MET',
        keyid: entry.keyid,
        message: `${label} "${key.name}": repeats a key already counted`,
      });
      return;
    }
    valid.add(entry.keyid);
  });

  const thresholdMet = valid.size >= trust.threshold;
  if (signatures.length === 0) {
    findings.push(
      finding('MANIFEST_SIGNATURE_MISSING', {
        subject,
        message: `${subject}: no signatures; ${trust.threshold} required from the trust root ${trust.path}`,
        evidence: { required: trust.threshold },
      }),
    );
  } else {
    // A rejected signature matters when the threshold is not met; otherwise it is noted only.
    for (const rejection of rejections) {
      if (rejection.code === 'MANIFEST_THRESHOLD_NOT_MET') continue;
      findings.push(
        finding(rejection.code, {
          subject,
          message: `${subject}: ${rejection.message}`,
          evidence: { keyid: rejection.keyid },
          ...(thresholdMet ? { severity: 'info' as const } : {}),
        }),
      );
    }
    if (!thresholdMet) {
      findings.push(
        finding('MANIFEST_THRESHOLD_NOT_MET', {
          subject,
          message: `${subject}: signed by ${valid.size} of ${trust.threshold} required distinct trusted keys (${signatures.length} signature${signatures.length === 1 ? '' : 's'} present)`,
          evidence: {
            valid: valid.size,
            required: trust.threshold,
            signatures: signatures.length,
            rejected: rejections.map((r) => r.message),
          },
        }),
      );
    }
  }

  const now = input.now.getTime();
  // Fail closed: a date with no instant counts as expired / not yet valid.
  const expires = parseRfc3339(manifest.expires);
  const issued = parseRfc3339(manifest.issued);
  if (expires === undefined || now >= expires) {
    findings.push(
      finding('MANIFEST_EXPIRED', {
        subject,
        message: `${subject}: expired at ${manifest.expires} (now ${input.now.toISOString()})`,
        evidence: { expires: manifest.expires, now: input.now.toISOString() },
      }),
    );
  }
  if (issued === undefined || issued > now + defaults.clockSkewSeconds * 1000) {
    findings.push(
      finding('MANIFEST_NOT_YET_VALID', {
        subject,
        message: `${subject}: issued ${manifest.issued}, later than now (${input.now.toISOString()})`,
        evidence: { issued: manifest.issued, now: input.now.toISOString() },
      }),
    );
  }
  const last = input.state?.products[manifest.product];
  if (last) {
    if (manifest.serial < last.serial) {
      findings.push(
        finding('MANIFEST_ROLLBACK', {
          subject,
          message: `${subject}: serial ${manifest.serial} is below the last accepted serial ${last.serial} for ${manifest.product} (accepted ${last.acceptedAt})`,
          evidence: { serial: manifest.serial, lastAccepted: last.serial },
        }),
      );
    } else if (manifest.serial === last.serial && manifestSha256(loaded.bytes) !== last.sha256) {
      findings.push(
        finding('MANIFEST_SERIAL_REUSED', {
          subject,
          message: `${subject}: serial ${manifest.serial} was accepted before with different content (sha256 ${last.sha256})`,
          evidence: {
            serial: manifest.serial,
            acceptedSha256: last.sha256,
            sha256: manifestSha256(loaded.bytes),
          },
        }),
      );
    }
  }
  const trusted = !findings.some((f) => f.severity !== 'info');
  if (trusted) {
    findings.push(
      finding('MANIFEST_VERIFIED', {
        subject,
        message: `${subject}: ${manifest.product} serial ${manifest.serial} signed by ${valid.size} of ${trust.threshold} required keys; expires ${manifest.expires}`,
        evidence: {
          product: manifest.product,
          serial: manifest.serial,
          keys: [...valid],
          expires: manifest.expires,
        },
      }),
    );
  }
  return {
    trusted,
    findings,
    validKeyIds: [...valid],
    ...(trusted ? { manifest: vouchVerified(manifest) } : {}),
  };
}

export interface CheckManifestOptions {
  readonly now: Date;
  /** Signature file; default `<manifest>.sig`. */
  readonly signaturePath?: string;
  /** Rollback state file; undefined skips the rollback check. */
  readonly statePath?: string;
  /** Record the manifest as accepted when trusted (default true when statePath is given). */
  readonly record?: boolean;
}

/** Reads the signature and state files, verifies trust, and records an accepted manifest. */
export async function checkManifest(
  loaded: LoadedManifest,
  trust: TrustRoot,
  options: CheckManifestOptions,
): Promise<ManifestTrustResult> {
  const signaturePath = options.signaturePath ?? defaultSignaturePath(loaded.path);
  const signatures = (await exists(signaturePath)) ? await readSignatureFile(signaturePath) : undefined;
  const state = options.statePath === undefined ? undefined : await readState(options.statePath);
  const result = verifyManifestTrust(loaded, trust, { now: options.now, signatures, state });
  if (result.trusted && options.statePath !== undefined && options.record !== false) {
    await recordAccepted(
      options.statePath,
      loaded.manifest.product,
      loaded.manifest.serial,
      loaded.bytes,
      options.now,
    );
  }
  return result;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    // Absence is the answer here; the caller reports a missing signature as a finding.
    return false;
  }
}
