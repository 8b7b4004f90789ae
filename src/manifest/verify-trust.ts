import { access } from 'node:fs/promises';

import { defaults } from '../defaults.ts';
import { withLock } from '../fs/lock-file.ts';
import { finding, type EvidenceValue, type Finding, type FindingCode } from '../findings.ts';
import { parseRfc3339 } from '../time/rfc3339.ts';
import { verifyBytes } from './keys.ts';
import type { LoadedManifest } from './load.ts';
import { defaultSignaturePath, readSignatureFile, type SignatureFile } from './signature-file.ts';
import { manifestSha256, readState, recordAccepted, type ManifestState } from './state.ts';
import { vouchVerified, type TrustedManifest } from './trusted.ts';
import {
  describeIdentity,
  identityMatchesSigner,
  keyMaySign,
  type CertificateSigner,
  type TrustRoot,
  type TrustedIdentity,
} from './trust-root.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export interface ManifestTrustInput {
  readonly now: Date;
  /** Detached signatures; undefined when there is no signature file. */
  readonly signatures: SignatureFile | undefined;
  /** Last accepted serials; undefined skips the rollback check (only when asked explicitly). */
  readonly state: ManifestState | undefined;
  /**
   * Sigstore bundles over the manifest, already checked cryptographically against a trusted root
   * (`verifyManifestBundles`); matched here against the trust root's identities.
   */
  readonly bundles?: readonly BundleSignature[];
}

/** One Sigstore bundle over the manifest: who signed it, or why it does not verify. */
export type BundleSignature =
  | { readonly kind: 'verified'; readonly file: string; readonly signer: CertificateSigner }
  | {
      readonly kind: 'rejected';
      readonly file: string;
      readonly message: string;
      /** The Sigstore finding code behind the rejection (SIGSTORE_ARTIFACT_MISMATCH, ...). */
      readonly reason?: string;
    };

export interface ManifestTrustResult {
  /** True only when every check passed. */
  readonly trusted: boolean;
  readonly findings: readonly Finding[];
  /** Distinct trusted keys whose signatures verified and may sign this product. */
  readonly validKeyIds: readonly string[];
  /** Names of the trust root's identities counted towards the threshold (Sigstore bundles). */
  readonly validIdentities: readonly string[];
  /** The manifest, when trusted: the only form `scanDrift` accepts without an explicit opt-out. */
  readonly manifest?: TrustedManifest;
}

const short = (keyid: string) => keyid.slice(0, 16);

interface Rejection {
  readonly code: FindingCode;
  readonly message: string;
  readonly keyid?: string;
  readonly evidence?: Record<string, EvidenceValue>;
}

function describePresented(signatures: number, bundles: number): string {
  const parts = [];
  if (signatures > 0 || bundles === 0) parts.push(`${signatures} signature${signatures === 1 ? '' : 's'}`);
  if (bundles > 0) parts.push(`${bundles} Sigstore bundle${bundles === 1 ? '' : 's'}`);
  return parts.join(' and ');
}

/**
 * The trust root's identities that the verified bundles count for. One certificate signer
 * (issuer and subject) counts once however many bundles it made, and each listed identity
 * counts once: a maximum bipartite matching between signers and the identities each may stand
 * for, so the count never depends on the order of the files.
 */
function countIdentities(
  loaded: LoadedManifest,
  trust: TrustRoot,
  bundles: readonly BundleSignature[],
  rejections: Rejection[],
): string[] {
  const product = loaded.manifest.product;
  const candidates = new Map<string, { label: string; identities: Set<TrustedIdentity> }>();
  for (const bundle of bundles) {
    const label = `Sigstore bundle ${bundle.file}`;
    if (bundle.kind === 'rejected') {
      rejections.push({
        code: 'MANIFEST_SIGNATURE_INVALID',
        message: `${label}: ${bundle.message}`,
        evidence: { bundle: bundle.file, ...(bundle.reason !== undefined ? { reason: bundle.reason } : {}) },
      });
      continue;
    }
    const signer = bundle.signer;
    const who = `signed by ${quoteUntrusted(signer.subject ?? null)} (issuer ${quoteUntrusted(signer.issuer ?? null)}${signer.repository !== undefined ? `, repository ${quoteUntrusted(signer.repository)}` : ''})`;
    const evidence = {
      bundle: bundle.file,
      subject: signer.subject ?? null,
      issuer: signer.issuer ?? null,
      repository: signer.repository ?? null,
    };
    if (trust.identities.length === 0) {
      rejections.push({
        code: 'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
        message: `${label}: not checked: the trust root ${trust.path} lists no identities (keyless signers)`,
        evidence: { bundle: bundle.file },
      });
      continue;
    }
    const matching = trust.identities.filter((identity) => identityMatchesSigner(identity, signer));
    if (matching.length === 0) {
      rejections.push({
        code: 'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
        message: `${label}: ${who}, which matches none of the trust root's identities: ${trust.identities.map(describeIdentity).join('; ')}`,
        evidence,
      });
      continue;
    }
    const allowed = matching.filter((identity) => keyMaySign(identity, product));
    if (allowed.length === 0) {
      rejections.push({
        code: 'MANIFEST_IDENTITY_NOT_ALLOWED',
        message: `${label}: ${who}: identity ${matching.map(describeIdentity).join(', ')} may sign ${[...new Set(matching.flatMap((identity) => identity.products))].join(', ')}, not ${product}`,
        evidence,
      });
      continue;
    }
    const key = `${signer.issuer ?? ''}\n${signer.subject ?? ''}`;
    const seen = candidates.get(key);
    if (seen) {
      for (const identity of allowed) seen.identities.add(identity);
      rejections.push({
        code: 'MANIFEST_THRESHOLD_NOT_MET',
        message: `${label}: ${who}: repeats a signer already counted`,
        evidence,
      });
      continue;
    }
    candidates.set(key, { label, identities: new Set(allowed) });
  }
  // Kuhn's augmenting paths: at most 64 identities and as many signers as bundles.
  const owner = new Map<TrustedIdentity, string>();
  const assign = (signer: string, visited: Set<TrustedIdentity>): boolean => {
    for (const identity of candidates.get(signer)?.identities ?? []) {
      if (visited.has(identity)) continue;
      visited.add(identity);
      const current = owner.get(identity);
      if (current === undefined || assign(current, visited)) {
        owner.set(identity, signer);
        return true;
      }
    }
    return false;
  };
  for (const signer of candidates.keys()) {
    if (!assign(signer, new Set())) {
      rejections.push({
        code: 'MANIFEST_THRESHOLD_NOT_MET',
        message: `${candidates.get(signer)?.label ?? signer}: its identities are already counted for other signers`,
      });
    }
  }
  return trust.identities.filter((identity) => owner.has(identity)).map((identity) => identity.name);
}

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
  const rejections: Rejection[] = [];
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

  const identities = countIdentities(loaded, trust, input.bundles ?? [], rejections);
  const counted = valid.size + identities.length;
  const thresholdMet = counted >= trust.threshold;
  const presented = signatures.length + (input.bundles?.length ?? 0);
  const what = trust.identities.length > 0 ? 'distinct trusted keys or identities' : 'distinct trusted keys';
  if (presented === 0) {
    findings.push(
      finding('MANIFEST_SIGNATURE_MISSING', {
        subject,
        message: `${subject}: no signatures${trust.identities.length > 0 ? ' and no Sigstore bundle' : ''}; ${trust.threshold} required from the trust root ${trust.path}`,
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
          evidence: rejection.evidence ?? { keyid: rejection.keyid ?? null },
          ...(thresholdMet ? { severity: 'info' as const } : {}),
        }),
      );
    }
    if (!thresholdMet) {
      findings.push(
        finding('MANIFEST_THRESHOLD_NOT_MET', {
          subject,
          message: `${subject}: signed by ${counted} of ${trust.threshold} required ${what} (${describePresented(signatures.length, input.bundles?.length ?? 0)} present)`,
          evidence: {
            valid: counted,
            required: trust.threshold,
            signatures: signatures.length,
            bundles: input.bundles?.length ?? 0,
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
        message: `${subject}: ${manifest.product} serial ${manifest.serial} signed by ${counted} of ${trust.threshold} required ${trust.identities.length > 0 ? 'signers' : 'keys'}${identities.length > 0 ? ` (identit${identities.length === 1 ? 'y' : 'ies'} ${identities.map((name) => `"${name}"`).join(', ')})` : ''}; expires ${manifest.expires}`,
        evidence: {
          product: manifest.product,
          serial: manifest.serial,
          keys: [...valid],
          ...(identities.length > 0 ? { identities } : {}),
          expires: manifest.expires,
        },
      }),
    );
  }
  return {
    trusted,
    findings,
    validKeyIds: [...valid],
    validIdentities: identities,
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
  /** Sigstore bundles over the manifest; default `<manifest>.sigstore.json` when it exists. */
  readonly bundlePaths?: readonly string[];
  /**
   * Sigstore trusted_root.json for the bundles; default the root `trust update` left in the
   * cache when it is newer than the vendored one, else the vendored public-good root. Loaded
   * only when there is a bundle and the trust root lists identities.
   */
  readonly trustedRoot?: string;
  /** Where the default trusted root's cache is looked for (XDG_CACHE_HOME, HOME); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How long to wait for another run's lock on the state file, in milliseconds (default
   * defaults.stateLockWaitSeconds); the read, the rollback check and the record happen under it.
   */
  readonly stateLockWaitMs?: number;
}

/** Reads the signature and state files, verifies trust, and records an accepted manifest. */
export async function checkManifest(
  loaded: LoadedManifest,
  trust: TrustRoot,
  options: CheckManifestOptions,
): Promise<ManifestTrustResult> {
  const signaturePath = options.signaturePath ?? defaultSignaturePath(loaded.path);
  const signatures = (await exists(signaturePath)) ? await readSignatureFile(signaturePath) : undefined;
  const statePath = options.statePath;
  const bundlePaths =
    options.bundlePaths ??
    ((await exists(defaultBundlePath(loaded.path))) ? [defaultBundlePath(loaded.path)] : []);
  const bundles = await checkBundles(loaded, trust, bundlePaths, options);
  if (statePath === undefined)
    return verifyManifestTrust(loaded, trust, { now: options.now, signatures, state: undefined, bundles });
  // Read, check and record under the state file's lock: two runs sharing it never lose a
  // product's record (each writes back what it read), and a serial is checked against the
  // latest record.
  return withLock(
    statePath,
    {
      waitMs: options.stateLockWaitMs ?? defaults.stateLockWaitSeconds * 1000,
      purpose: 'rmm-verify run updating the state file',
      what: 'state file',
      waitFlag: '--lock-wait',
    },
    async () => {
      const state = await readState(statePath);
      const result = verifyManifestTrust(loaded, trust, { now: options.now, signatures, state, bundles });
      if (result.trusted && options.record !== false) {
        await recordAccepted(
          statePath,
          loaded.manifest.product,
          loaded.manifest.serial,
          loaded.bytes,
          options.now,
        );
      }
      return result;
    },
  );
}

/** `<manifest>.sigstore.json`, where `manifest sign --sigstore` writes its bundle. */
export function defaultBundlePath(manifestPath: string): string {
  return `${manifestPath}.sigstore.json`;
}

async function checkBundles(
  loaded: LoadedManifest,
  trust: TrustRoot,
  paths: readonly string[],
  options: CheckManifestOptions,
): Promise<BundleSignature[]> {
  if (paths.length === 0) return [];
  if (trust.identities.length === 0) {
    // Nothing a bundle could count for: do not load the Sigstore libraries to check it.
    return paths.map((file) => ({ kind: 'verified', file, signer: {} }));
  }
  // Loaded lazily: keyed manifests never pay for the Sigstore verifier at start-up.
  const { verifyManifestBundles, manifestTrustedRoot } = await import('./sigstore-bundles.ts');
  const sigstoreTrust = await manifestTrustedRoot(options.trustedRoot, options.env ?? process.env);
  return verifyManifestBundles(loaded.bytes, paths, sigstoreTrust);
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
