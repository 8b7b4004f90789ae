import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';

import { defaults } from '../defaults.ts';
import { BINDING_ALGORITHMS, digestsEqual, type DigestAlgorithm } from '../digest/algorithms.ts';
import { handleSource, type ByteSource } from '../authenticode/source.ts';
import { hashFileHandle, type Digests } from '../digest/multi-hash.ts';
import { RmmVerifyError, errorMessage } from '../errors.ts';
import { openRegularFile, type OpenedRegularFile } from '../fs/regular-file.ts';
import { finding, type EvidenceValue, type Finding } from '../findings.ts';
import type { LoadedManifest } from '../manifest/load.ts';
import type { Artifact, Manifest, Release, ResignedPin } from '../manifest/types.ts';
import { evaluateVersionPolicy } from '../manifest/version-policy.ts';
import type { SubjectResult } from '../report/report.ts';
import type { ArtifactCheck, ArtifactVerifyOptions, CheckResources } from './check.ts';
import { ARTIFACT_CHECKS } from './checks.ts';
import { requiredChecks } from './requirements.ts';
import { RunResources } from './run-resources.ts';

export interface VerifyArtifactOptions {
  readonly loaded: LoadedManifest;
  readonly now: Date;
  readonly options: ArtifactVerifyOptions;
  /** Require this platform (e.g. the platform being rolled out to). */
  readonly platform?: string;
  /** Domain checks to run; default ARTIFACT_CHECKS. */
  readonly checks?: readonly ArtifactCheck[];
  /** Report name for a file when it differs from its path (downloads). */
  readonly subjectOf?: (path: string) => string;
  readonly onProgress?: (path: string, bytesRead: number) => void;
}

export interface ArtifactVerification {
  readonly subject: SubjectResult;
  readonly findings: readonly Finding[];
}

interface PinnedEntry {
  readonly release: Release;
  readonly artifact: Artifact;
}

/**
 * A manifest's pins arranged for lookups, made once per manifest (not once per file: a run over
 * N files against N pins would otherwise compare N × N digests).
 */
interface PinIndex {
  readonly entries: readonly PinnedEntry[];
  readonly byName: ReadonlyMap<string, readonly PinnedEntry[]>;
  /** Entries by `algorithm:hex` (lower case) of their binding digest, in manifest order. */
  readonly byBinding: ReadonlyMap<string, readonly PinnedEntry[]>;
  /** Every algorithm any pin uses, and sha256. */
  readonly algorithms: readonly DigestAlgorithm[];
  /** The largest read cap over every entry. */
  readonly maxCap: number;
}

const pinIndexes = new WeakMap<Manifest, PinIndex>();

function pinIndex(manifest: Manifest): PinIndex {
  const known = pinIndexes.get(manifest);
  if (known) return known;
  const entries = manifest.releases.flatMap((release) =>
    release.artifacts.map((artifact) => ({ release, artifact })),
  );
  const byName = new Map<string, PinnedEntry[]>();
  const byBinding = new Map<string, PinnedEntry[]>();
  const algorithms = new Set<DigestAlgorithm>(['sha256']);
  for (const entry of entries) {
    const named = byName.get(entry.artifact.name);
    if (named) named.push(entry);
    else byName.set(entry.artifact.name, [entry]);
    const binding = bindingDigest(entry.artifact);
    if (binding) {
      const key = `${binding.algorithm}:${binding.hex.toLowerCase()}`;
      const same = byBinding.get(key);
      if (same) same.push(entry);
      else byBinding.set(key, [entry]);
    }
    for (const a of Object.keys(entry.artifact.digests) as DigestAlgorithm[]) algorithms.add(a);
  }
  const index: PinIndex = {
    entries,
    byName,
    byBinding,
    algorithms: [...algorithms],
    maxCap: Math.max(0, ...entries.map((e) => readCap(e.artifact))),
  };
  pinIndexes.set(manifest, index);
  return index;
}

/**
 * The first pin (in manifest order) whose binding digest the file has, at its exact size: the
 * index narrows the candidates, each is then compared in full.
 */
function matchPinned(index: PinIndex, digests: Digests, size: number): PinnedEntry | undefined {
  const candidates = new Set<PinnedEntry>();
  for (const algorithm of ['sha512', 'sha384', 'sha256'] as const) {
    const actual = digests[algorithm];
    if (actual === undefined) continue;
    for (const entry of index.byBinding.get(`${algorithm}:${actual.toLowerCase()}`) ?? [])
      candidates.add(entry);
  }
  if (candidates.size === 0) return undefined;
  return index.entries.find((e) => {
    if (!candidates.has(e)) return false;
    const binding = bindingDigest(e.artifact);
    const actual = binding ? digests[binding.algorithm] : undefined;
    return (
      binding !== undefined &&
      actual !== undefined &&
      digestsEqual(binding.hex, actual) &&
      e.artifact.size === size
    );
  });
}

/** The strongest binding digest an entry pins (sha512 > sha384 > sha256), if any. */
function bindingDigest(artifact: Artifact): { algorithm: DigestAlgorithm; hex: string } | undefined {
  for (const algorithm of ['sha512', 'sha384', 'sha256'] as const) {
    const hex = artifact.digests[algorithm];
    if (hex !== undefined) return { algorithm, hex };
  }
  return undefined;
}

/**
 * Verifies one file: identify it by digest among the pinned artifacts (never by name), then check
 * size, every pinned digest, platform and version policy, then the domain checks. Reading stops
 * at the largest relevant pinned size + 1 byte.
 *
 * The invariants live here, in one place:
 * - the file is opened once; hashing and every check read through that handle, so what was
 *   hashed is what was inspected;
 * - a file whose size or times move while it is verified, or whose path now names another
 *   file, fails (ARTIFACT_CHANGED_DURING_VERIFY);
 * - an exception anywhere in the pipeline or a check is a failing finding (ARTIFACT_CHECK_ERROR);
 * - a check the manifest requires (requirements.ts) that did not run fails the artifact
 *   (ARTIFACT_CHECK_NOT_RUN); `pass` means every required check ran and reported nothing failing.
 */
export async function verifyArtifactFile(
  path: string,
  options: VerifyArtifactOptions,
  resources?: CheckResources,
): Promise<ArtifactVerification> {
  const subject = options.subjectOf?.(path) ?? path;
  let opened: OpenedRegularFile;
  try {
    opened = await openRegularFile(path);
  } catch (error: unknown) {
    // Fail closed: an unreadable artifact is a failed verification, not a skipped one.
    const message = error instanceof RmmVerifyError ? error.message : errorMessage(error);
    return failed(subject, {}, [
      finding('ARTIFACT_UNREADABLE', { subject, message, location: { file: path } }),
    ]);
  }
  let verification: ArtifactVerification;
  try {
    try {
      verification = await verifyOpened(path, subject, opened, options, resources);
    } catch (error: unknown) {
      verification = failed(subject, {}, [
        finding('ARTIFACT_CHECK_ERROR', {
          subject,
          message: `${subject}: verification could not complete: ${errorMessage(error)}`,
          evidence: { check: 'verify' },
          location: { file: path },
        }),
      ]);
    }
    const changed = await changesSinceOpen(path, opened);
    if (changed.length === 0) return verification;
    return failed(subject, verification.subject.facts, [
      ...verification.findings.filter((f) => f.code !== 'ARTIFACT_VERIFIED'),
      finding('ARTIFACT_CHANGED_DURING_VERIFY', {
        subject,
        message: `${subject}: changed while it was verified (${changed.join('; ')}); the result does not describe what is at the path now`,
        evidence: { changed },
        location: { file: path },
      }),
    ]);
  } finally {
    await opened.handle.close();
  }
}

/**
 * What moved since the file was opened: its size and times (through the handle), and whether
 * the path still names the same file (device and inode).
 */
async function changesSinceOpen(path: string, opened: OpenedRegularFile): Promise<string[]> {
  const before = opened.stat;
  const changes: string[] = [];
  try {
    const after = await opened.handle.stat({ bigint: true });
    if (after.size !== before.size) changes.push(`size ${before.size} -> ${after.size} bytes`);
    if (after.mtimeNs !== before.mtimeNs) changes.push('modification time moved');
    if (after.ctimeNs !== before.ctimeNs) changes.push('change time moved');
  } catch (error: unknown) {
    changes.push(`cannot stat the open file: ${errorMessage(error)}`);
  }
  try {
    const now = await stat(path, { bigint: true });
    if (now.dev !== before.dev || now.ino !== before.ino) changes.push('the path now names another file');
  } catch (error: unknown) {
    changes.push(`the path cannot be read any more: ${errorMessage(error)}`);
  }
  return changes;
}

async function verifyOpened(
  path: string,
  subject: string,
  opened: OpenedRegularFile,
  options: VerifyArtifactOptions,
  resources: CheckResources | undefined,
): Promise<ArtifactVerification> {
  const { manifest } = options.loaded;
  const index = pinIndex(manifest);
  const { entries } = index;
  const name = basename(path);
  const byName = index.byName.get(name) ?? [];
  // A file whose name is pinned is read no further than that pin allows; others up to the largest pin.
  const maxBytes = byName.length > 0 ? Math.max(0, ...byName.map((e) => readCap(e.artifact))) : index.maxCap;

  let hashed;
  try {
    hashed = await hashFileHandle(opened.handle, Number(opened.stat.size), path, {
      algorithms: index.algorithms,
      maxBytes,
      ...(options.onProgress ? { onProgress: (n: number) => options.onProgress?.(path, n) } : {}),
    });
  } catch (error: unknown) {
    // Fail closed: an unreadable artifact is a failed verification, not a skipped one.
    const message = error instanceof RmmVerifyError ? error.message : errorMessage(error);
    return failed(subject, {}, [
      finding('ARTIFACT_UNREADABLE', { subject, message, location: { file: path } }),
    ]);
  }
  const { digests } = hashed;
  // The image-hash match and every check read the hashed bytes through the open handle.
  const file = handleSource(opened.handle, path, hashed.bytesRead);
  const sizeText = hashed.exceededCap ? `more than ${maxBytes} bytes` : `${hashed.bytesRead} bytes`;
  // Reading stops one byte past the largest pin: the digest of those first bytes is not the
  // file's, so an over-long file's digest is reported as not computed.
  const facts: Record<string, EvidenceValue> = hashed.exceededCap
    ? { sha256: 'not computed' }
    : { sha256: digests.sha256 ?? null };

  const match = hashed.exceededCap ? undefined : matchPinned(index, digests, hashed.bytesRead);

  // A re-signed copy of a pinned PE has other bytes (its signature) but the pinned code.
  const resignedMatch =
    match === undefined && !hashed.exceededCap ? await matchResigned(file, entries, facts) : undefined;

  const identified = match ?? resignedMatch;
  if (!identified) {
    const weakOnly = byName.find((e) => bindingDigest(e.artifact) === undefined);
    if (weakOnly) {
      return failed(subject, facts, [
        finding('DIGEST_WEAK_ONLY', {
          subject,
          message: `${subject}: the pin for ${weakOnly.artifact.name} ${weakOnly.release.version} has only ${Object.keys(weakOnly.artifact.digests).join(', ')}; sha256 or stronger is required to bind an artifact`,
          evidence: { version: weakOnly.release.version },
        }),
      ]);
    }
    const named = byName[0];
    if (named) {
      const out = mismatchFindings(subject, named, hashed.bytesRead, hashed.exceededCap, digests);
      const image = facts['imageSha256'];
      const pinnedImage = named.artifact.resigned?.imageHash.sha256;
      if (typeof image === 'string' && pinnedImage !== undefined) {
        out.push(
          finding('DIGEST_MISMATCH', {
            subject,
            message: `${subject}: named like ${named.artifact.name} ${named.release.version} but its Authenticode image hash (the code without its signature) is ${image}, pinned ${pinnedImage}: the code differs, not only the signature`,
            evidence: {
              algorithm: 'authenticode-image-sha256',
              expected: pinnedImage,
              actual: image,
              version: named.release.version,
            },
            location: { file: subject },
          }),
        );
      }
      return failed(subject, facts, out);
    }
    return failed(subject, facts, [
      finding('ARTIFACT_UNKNOWN', {
        subject,
        message: hashed.exceededCap
          ? `${subject}: longer than every artifact pinned in ${options.loaded.path} (${sizeText}), so it matches none; its digest was not computed (reading stops one byte past the largest pinned size)`
          : `${subject}: no artifact pinned in ${options.loaded.path} has sha256 ${digests.sha256 ?? '?'} (${sizeText})`,
        evidence: {
          sha256: hashed.exceededCap ? null : (digests.sha256 ?? null),
          size: hashed.exceededCap ? null : hashed.bytesRead,
          product: manifest.product,
        },
        location: { file: path },
      }),
    ]);
  }

  const { release, artifact } = identified;
  facts['version'] = release.version;
  facts['platform'] = artifact.platform;
  const findings: Finding[] = [];
  // Every pinned digest must match, not only the one that identified the file (a re-signed copy
  // was identified by its image hash instead: its digests are the vendor file's).
  const pinnedDigests = match ? (Object.entries(artifact.digests) as [DigestAlgorithm, string][]) : [];
  for (const [algorithm, expected] of pinnedDigests) {
    const actual = digests[algorithm];
    if (actual === undefined || !digestsEqual(expected, actual)) {
      findings.push(
        finding('DIGEST_MISMATCH', {
          subject,
          message: `${subject}: ${algorithm} is ${actual ?? 'not computed'}, pinned ${expected} (${artifact.name} ${release.version})`,
          evidence: { algorithm, expected, actual: actual ?? null },
          location: { file: path },
        }),
      );
    }
  }
  if (artifact.name !== name) {
    findings.push(
      finding('NAME_MISMATCH', {
        subject,
        message: `${subject}: content is ${artifact.name} ${release.version} but the file is named ${name}`,
        evidence: { pinnedName: artifact.name, name },
      }),
    );
  }
  findings.push(...platformFindings(subject, manifest, artifact, options.platform));
  findings.push(...versionFindings(subject, manifest, release.version));

  if (!findings.some((f) => f.severity === 'critical')) {
    const head = await file.read(0, Math.min(8, file.size));
    const required = requiredChecks(manifest, artifact, head);
    const ran: string[] = [];
    for (const check of options.checks ?? ARTIFACT_CHECKS) {
      try {
        const result = await check.run({
          path,
          subject,
          manifest: artifact.resigned ? resignedPolicy(manifest, artifact.resigned) : manifest,
          manifestDir: options.loaded.dir,
          release,
          artifact,
          digests,
          file,
          now: options.now,
          options: options.options,
          ...(resources !== undefined ? { resources } : {}),
        });
        if (!result) continue;
        ran.push(check.name);
        findings.push(...result.findings);
        Object.assign(facts, result.facts);
      } catch (error: unknown) {
        // A check that cannot complete fails closed.
        ran.push(check.name);
        findings.push(
          finding('ARTIFACT_CHECK_ERROR', {
            subject,
            message: `${subject}: the ${check.name} check could not complete: ${errorMessage(error)}`,
            evidence: { check: check.name },
          }),
        );
      }
    }
    for (const name of required) {
      if (ran.includes(name)) continue;
      findings.push(
        finding('ARTIFACT_CHECK_NOT_RUN', {
          subject,
          message: `${subject}: the manifest requires the ${name} check for ${artifact.name} ${release.version}, but it did not run`,
          evidence: { check: name, required: [...required] },
        }),
      );
    }
    if (ran.length > 0) facts['checks'] = ran;
  }
  const failing = findings.some((f) => f.severity !== 'info');
  if (!failing) {
    findings.push(
      finding('ARTIFACT_VERIFIED', {
        subject,
        message: match
          ? `${subject}: ${artifact.name} ${release.version} (${artifact.platform}), ${hashed.bytesRead} bytes, ${Object.keys(artifact.digests).join(' + ')} match`
          : `${subject}: ${artifact.name} ${release.version} (${artifact.platform}), re-signed: its Authenticode image hash is the pinned code's and its signature is from a pinned re-signer`,
        evidence: { version: release.version, platform: artifact.platform, size: hashed.bytesRead },
      }),
    );
  }
  return {
    subject: { subject, kind: 'artifact', result: failing ? 'fail' : 'pass', facts },
    findings,
  };
}

/**
 * Bytes to read of a file that may be this artifact: its size, and for a PE deployed re-signed,
 * room for the certificate table a signature adds.
 */
function readCap(artifact: Artifact): number {
  return artifact.resigned ? artifact.size + defaults.maxCertificateTableBytes + 8 : artifact.size;
}

/**
 * The pinned PE whose Authenticode image hash the file has, if any (read through the handle
 * that was hashed, like every other check); records the hash in facts.
 */
async function matchResigned(
  file: ByteSource,
  entries: readonly PinnedEntry[],
  facts: Record<string, EvidenceValue>,
): Promise<PinnedEntry | undefined> {
  const resignable = entries.filter((e) => e.artifact.resigned !== undefined);
  if (resignable.length === 0) return undefined;
  const { peImageSha256 } = await import('../authenticode/file-image-hash.ts');
  const image = await peImageSha256(file);
  if (image === undefined) return undefined;
  facts['imageSha256'] = image;
  return resignable.find((e) => digestsEqual(e.artifact.resigned?.imageHash.sha256 ?? '', image));
}

/**
 * The policy the domain checks see for an artifact deployed re-signed: its pinned re-signers are
 * the Authenticode signers, and a valid signature from one of them is required, so an unsigned
 * copy (even the vendor's exact bytes) or one signed by anyone else fails.
 */
function resignedPolicy(manifest: Manifest, resigned: ResignedPin): Manifest {
  return {
    ...manifest,
    signers: { ...manifest.signers, authenticode: resigned.signers },
    policy: { ...manifest.policy, requireAuthenticode: true },
  };
}

function failed(
  subject: string,
  facts: Record<string, EvidenceValue>,
  findings: Finding[],
): ArtifactVerification {
  return { subject: { subject, kind: 'artifact', result: 'fail', facts }, findings };
}

function mismatchFindings(
  subject: string,
  named: PinnedEntry,
  bytesRead: number,
  exceededCap: boolean,
  digests: Digests,
): Finding[] {
  const { artifact, release } = named;
  const out: Finding[] = [];
  if (exceededCap || bytesRead !== artifact.size) {
    out.push(
      finding('SIZE_MISMATCH', {
        subject,
        message: exceededCap
          ? `${subject}: longer than the pinned ${artifact.size} bytes of ${artifact.name} ${release.version} (stopped reading at ${artifact.size + 1})`
          : `${subject}: ${bytesRead} bytes, pinned ${artifact.size} (${artifact.name} ${release.version})`,
        evidence: {
          expected: artifact.size,
          actual: exceededCap ? null : bytesRead,
          version: release.version,
        },
        location: { file: subject },
      }),
    );
  }
  if (!exceededCap) {
    for (const algorithm of BINDING_ALGORITHMS) {
      const expected = artifact.digests[algorithm];
      const actual = digests[algorithm];
      if (expected === undefined || actual === undefined || digestsEqual(expected, actual)) continue;
      out.push(
        finding('DIGEST_MISMATCH', {
          subject,
          message: `${subject}: named like ${artifact.name} ${release.version} but ${algorithm} is ${actual}, pinned ${expected}`,
          evidence: { algorithm, expected, actual, version: release.version },
          location: { file: subject },
        }),
      );
    }
  }
  return out;
}

function platformFindings(
  subject: string,
  manifest: Manifest,
  artifact: Artifact,
  wanted: string | undefined,
): Finding[] {
  const allowed = manifest.policy.platforms ?? [];
  const out: Finding[] = [];
  if (allowed.length > 0 && !allowed.includes(artifact.platform)) {
    out.push(
      finding('PLATFORM_NOT_ALLOWED', {
        subject,
        message: `${subject}: platform ${artifact.platform} is not in policy.platforms (${allowed.join(', ')})`,
        evidence: { platform: artifact.platform, allowed: [...allowed] },
      }),
    );
  }
  if (wanted !== undefined && wanted !== artifact.platform) {
    out.push(
      finding('PLATFORM_NOT_ALLOWED', {
        subject,
        message: `${subject}: built for ${artifact.platform}, not the requested ${wanted}`,
        evidence: { platform: artifact.platform, requested: wanted },
      }),
    );
  }
  return out;
}

function versionFindings(subject: string, manifest: Manifest, version: string): Finding[] {
  const { policy } = manifest;
  const verdict = evaluateVersionPolicy(manifest, version);
  const out: Finding[] = [];
  if (verdict.revokedBy !== undefined) {
    out.push(
      finding('VERSION_REVOKED', {
        subject,
        message: `${subject}: version ${version} is revoked by "${verdict.revokedBy}"`,
        evidence: { version, revoked: verdict.revokedBy },
      }),
    );
  }
  if (verdict.belowMinimum) {
    out.push(
      finding('VERSION_BELOW_MINIMUM', {
        subject,
        message: `${subject}: version ${version} does not satisfy the minimum "${policy.minimum ?? ''}"`,
        evidence: { version, minimum: policy.minimum ?? '' },
      }),
    );
  }
  for (const advisory of verdict.advisories) {
    out.push(
      finding('VERSION_VULNERABLE', {
        subject,
        severity: advisory.severity,
        message: `${subject}: version ${version} is affected by ${advisory.id} (${advisory.versions})${advisory.summary ? `: ${advisory.summary}` : ''}`,
        evidence: { version, advisory: advisory.id, range: advisory.versions },
      }),
    );
  }
  if (!verdict.isTarget) {
    out.push(
      finding('VERSION_NOT_TARGET', {
        subject,
        message: `${subject}: version ${version} is ${verdict.comparedToTarget < 0 ? 'older' : 'newer'} than the target ${policy.target}`,
        evidence: { version, target: policy.target },
      }),
    );
  }
  return out;
}

/**
 * Worker threads for the checks of a run over `count` files: none for a few files (starting a
 * thread costs more than it saves), else one per core, this thread hashing meanwhile.
 */
export function checkThreadsFor(count: number, cores = availableParallelism()): number {
  if (count < defaults.authenticodeFilesPerThread) return 0;
  return Math.max(1, Math.min(cores, Math.floor(count / defaults.authenticodeFilesPerThread)));
}

/**
 * Verifies every file, several at once (defaults.verifyFilesInFlight): one file's reads overlap
 * another's hashing, and the checks' CPU-heavy work (Authenticode) runs on worker threads.
 * The outcome is the sequential loop's: one result per file, in the order given, each file
 * verified exactly as verifyArtifactFile alone does. If verifying a file throws, no file after
 * it is started, the files in flight finish, and the first such error in file order is thrown.
 * The run's threads are stopped before this returns or throws.
 */
export async function verifyArtifactFiles(
  paths: readonly string[],
  options: VerifyArtifactOptions,
  threads: number = checkThreadsFor(paths.length),
): Promise<ArtifactVerification[]> {
  const results = new Array<ArtifactVerification | undefined>(paths.length);
  const errors = new Map<number, unknown>();
  const resources = new RunResources(threads);
  let next = 0;
  let stopAt = paths.length;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < stopAt; index = next++) {
      const path = paths[index];
      if (path === undefined) break;
      try {
        results[index] = await verifyArtifactFile(path, options, resources);
      } catch (error: unknown) {
        errors.set(index, error);
        stopAt = Math.min(stopAt, index + 1);
      }
    }
  };
  try {
    const lanes = Math.max(1, Math.min(paths.length, defaults.verifyFilesInFlight));
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await resources.close();
  }
  const out: ArtifactVerification[] = [];
  for (const [index, result] of results.entries()) {
    if (errors.has(index)) throw errors.get(index);
    if (result === undefined) throw new Error(`verify: ${paths[index] ?? index} was never verified`);
    out.push(result);
  }
  return out;
}
