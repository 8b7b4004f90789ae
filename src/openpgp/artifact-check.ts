import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

import type { ArtifactCheck, ArtifactCheckResult, ArtifactContext } from '../artifact/check.ts';
import { openFileSource, type ByteSource } from '../authenticode/source.ts';
import { defaults } from '../defaults.ts';
import { errorMessage, RmmVerifyError } from '../errors.ts';
import { finding, type EvidenceValue, type Finding, type FindingCode } from '../findings.ts';
import { readBoundedFile } from '../json/index.ts';
import type { OpenPgpSigner } from '../manifest/types.ts';
import { findPackage, isDeb, parseRelease, type PackageEntry } from './deb-repository.ts';
import { isRpm, parseRpm, type RpmPackage } from './rpm.ts';
import {
  checkClearSigned,
  checkDetachedSignature,
  checkSignatureBytes,
  isClearSigned,
  loadOpenPgpKeys,
  type OpenPgpKeyring,
  type OpenPgpSignatureCheck,
} from './signature.ts';
import { findOpenPgpSignatureFiles, OPENPGP_SIGNATURE_SUFFIXES, openPgpSignersFor } from './signers.ts';

/**
 * `verify` step for artifacts whose platform has an OpenPGP signer in the manifest (Linux
 * tarballs, AppImages, any file a vendor signs with `gpg --detach-sign`): one detached
 * signature beside the artifact, or in an evidence directory, must verify over the bytes that
 * were hashed with a pinned key. A signature by a pinned key that does not verify fails even
 * when another verifies.
 */
export const openPgpCheck: ArtifactCheck = {
  name: 'openpgp',
  async run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined> {
    const signers = openPgpSignersFor(context.manifest, context.artifact);
    if (signers.length === 0) return undefined;
    const fail = (findings: Finding[]): ArtifactCheckResult => ({ findings, facts: { openpgp: 'failed' } });

    let keyrings: OpenPgpKeyring[];
    try {
      keyrings = await pinnedKeyrings(signers, context.manifestDir);
    } catch (error: unknown) {
      return fail([findingAt(context, 'OPENPGP_TRUST_UNAVAILABLE', errorMessage(error), context.path)]);
    }
    return withSource(context, async (source) => {
      const head = await source.read(0, Math.min(21, source.size));
      if (isRpm(head)) return checkRpm(context, source, keyrings);
      if (isDeb(head)) {
        const deb = await checkDeb(context, source, keyrings);
        if (deb !== undefined) return deb;
      }
      return checkDetached(context, source, keyrings);
    });
  },
};

/** A plain file (or a .deb without its repository): one detached signature beside it must verify. */
async function checkDetached(
  context: ArtifactContext,
  source: ByteSource,
  keyrings: readonly OpenPgpKeyring[],
): Promise<ArtifactCheckResult> {
  const fail = (findings: Finding[]): ArtifactCheckResult => ({ findings, facts: { openpgp: 'failed' } });
  const at = (code: FindingCode, message: string, file: string, evidence = {}) =>
    findingAt(context, code, message, file, evidence);
  const files = findOpenPgpSignatureFiles(context);
  if (files.length === 0) {
    return fail([
      at(
        'OPENPGP_SIGNATURE_MISSING',
        `no detached OpenPGP signature (${OPENPGP_SIGNATURE_SUFFIXES.map((s) => `${context.artifact.name}${s}`).join(', ')}; for a .deb, its repository's InRelease and Packages) beside the file or in an evidence directory`,
        context.path,
      ),
    ]);
  }
  const failures: Finding[] = [];
  let verified: { file: string; signers: readonly string[] } | undefined;
  for (const file of files) {
    let checked;
    try {
      checked = await checkDetachedSignature(streamOf(source, 0, source.size), file, keyrings, context.now);
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      failures.push(at('OPENPGP_SIGNATURE_MALFORMED', error.message, file, { signature: file }));
      continue;
    }
    if (checked.ok) {
      verified ??= { file, signers: checked.signers };
      continue;
    }
    failures.push(
      at(
        checked.badByGivenKey ? 'OPENPGP_SIGNATURE_INVALID' : 'OPENPGP_SIGNER_UNTRUSTED',
        `${file}: ${checked.problems.join('; ')}`,
        file,
        { signature: file, unknownKeyIds: checked.unknownKeyIds },
      ),
    );
  }
  // A pinned key's signature that fails is an attack signal even beside a good one.
  const invalid = failures.filter((f) => f.code !== 'OPENPGP_SIGNER_UNTRUSTED');
  if (verified === undefined || invalid.length > 0) return fail(failures);
  return {
    findings: [
      at(
        'OPENPGP_VERIFIED',
        `${verified.file}: good OpenPGP signature by ${verified.signers.join(', ')}`,
        verified.file,
        { signature: verified.file, signers: verified.signers },
      ),
    ],
    facts: { openpgp: 'verified', openpgpSigner: verified.signers.join(', ') },
  };
}

/** The signers' keys, only the pinned fingerprints when they name some. */
async function pinnedKeyrings(
  signers: readonly OpenPgpSigner[],
  manifestDir: string,
): Promise<OpenPgpKeyring[]> {
  const keyrings: OpenPgpKeyring[] = [];
  for (const signer of signers) {
    const wanted = signer.fingerprints?.map((f) => f.toUpperCase());
    for (const path of signer.keys) {
      const loaded = await loadOpenPgpKeys(isAbsolute(path) ? path : resolve(manifestDir, path));
      const keys =
        wanted === undefined
          ? loaded.keys
          : loaded.keys.filter((k) => wanted.includes(k.getFingerprint().toUpperCase()));
      if (keys.length > 0) keyrings.push({ file: loaded.file, keys });
    }
    if (
      wanted !== undefined &&
      !wanted.every((f) =>
        keyrings.some((k) => k.keys.some((key) => key.getFingerprint().toUpperCase() === f)),
      )
    ) {
      throw new Error(
        `signers.openpgp: the key files (${signer.keys.join(', ')}) do not hold every pinned fingerprint (${wanted.join(', ')})`,
      );
    }
  }
  return keyrings;
}

/** The artifact, read through the handle that was hashed when `verify` passes one (what was hashed is what is verified). */
async function withSource<T>(context: ArtifactContext, use: (source: ByteSource) => Promise<T>): Promise<T> {
  if (context.file) return use(context.file);
  const opened = await openFileSource(context.path);
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

/** Bytes `start` to `end` of the source as a stream, in bounded chunks. */
function streamOf(source: ByteSource, start: number, end: number): ReadableStream<Uint8Array> {
  let offset = start;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= end) {
        controller.close();
        return;
      }
      const length = Math.min(defaults.readChunkBytes, end - offset);
      const chunk = await source.read(offset, length);
      offset += length;
      controller.enqueue(chunk);
    },
  });
}

/**
 * An RPM carries its signatures inside (rpmsign): a header signature by a pinned key must
 * verify over the main header, the header's SHA256 and the payload digest must match, and the
 * payload must be covered by something signed (the digest in the signed header, or a
 * header+payload signature). As `rpmkeys -K` with a keyring of the pinned keys only.
 */
async function checkRpm(
  context: ArtifactContext,
  source: ByteSource,
  keyrings: readonly OpenPgpKeyring[],
): Promise<ArtifactCheckResult> {
  const at = (code: FindingCode, message: string, evidence: Record<string, EvidenceValue> = {}) =>
    findingAt(context, code, message, context.path, evidence);
  const fail = (findings: Finding[]): ArtifactCheckResult => ({
    findings,
    facts: { openpgp: 'failed', rpm: 'failed' },
  });
  let rpm: RpmPackage;
  try {
    rpm = await parseRpm(source);
  } catch (error: unknown) {
    if (!(error instanceof RmmVerifyError)) throw error;
    return fail([
      at(
        'RPM_MALFORMED',
        error.detail,
        error.location.offset !== undefined ? { offset: error.location.offset } : {},
      ),
    ]);
  }
  const findings: Finding[] = [];
  if (rpm.signedSize !== undefined && rpm.signedSize !== source.size - rpm.header.offset) {
    findings.push(
      at(
        'RPM_MALFORMED',
        `the signature header gives ${rpm.signedSize} bytes of header and payload; the file has ${source.size - rpm.header.offset}`,
      ),
    );
  }
  const header = await source.read(rpm.header.offset, rpm.header.length);
  if (rpm.headerSha256 !== undefined) {
    const actual = createHash('sha256').update(header).digest('hex');
    if (actual !== rpm.headerSha256)
      findings.push(
        at(
          'RPM_DIGEST_MISMATCH',
          `header SHA256 is ${actual}; the signature header says ${rpm.headerSha256}`,
          { part: 'header', expected: rpm.headerSha256, actual },
        ),
      );
  }
  if (rpm.payloadDigest !== undefined) {
    const actual = await digestRange(source, rpm.payloadDigest.algorithm, rpm.payloadOffset, source.size);
    if (actual !== rpm.payloadDigest.hex)
      findings.push(
        at(
          'RPM_DIGEST_MISMATCH',
          `payload ${rpm.payloadDigest.algorithm} is ${actual}; the header says ${rpm.payloadDigest.hex}`,
          {
            part: 'payload',
            expected: rpm.payloadDigest.hex,
            actual,
          },
        ),
      );
  }
  if (rpm.signatures.length === 0) {
    return fail([...findings, at('RPM_UNSIGNED', 'the package carries no OpenPGP signature')]);
  }
  const verified: string[] = [];
  const untrusted: string[] = [];
  let payloadSigned = false;
  for (const signature of rpm.signatures) {
    const data = signature.scope === 'header' ? header : streamOf(source, rpm.header.offset, source.size);
    let checked;
    try {
      checked = await checkSignatureBytes(
        data,
        signature.packet,
        { file: context.path },
        keyrings,
        context.now,
      );
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      findings.push(at('RPM_MALFORMED', `signature tag ${signature.tag}: ${error.detail}`));
      continue;
    }
    if (checked.ok) {
      verified.push(...checked.signers.filter((s) => !verified.includes(s)));
      if (signature.scope === 'header+payload') payloadSigned = true;
    } else if (checked.badByGivenKey) {
      findings.push(
        at(
          'OPENPGP_SIGNATURE_INVALID',
          `${signature.scope} signature (tag ${signature.tag}): ${checked.problems.join('; ')}`,
        ),
      );
    } else untrusted.push(...checked.unknownKeyIds);
  }
  if (verified.length === 0 && !findings.some((f) => f.code === 'OPENPGP_SIGNATURE_INVALID')) {
    findings.push(
      at(
        'OPENPGP_SIGNER_UNTRUSTED',
        `signed by key id ${[...new Set(untrusted)].join(', ')}, which the manifest does not pin`,
        {
          unknownKeyIds: [...new Set(untrusted)],
        },
      ),
    );
  }
  if (rpm.payloadDigest === undefined && !payloadSigned) {
    findings.push(
      at('RPM_PAYLOAD_UNCOVERED', 'no payload digest in the header and no header+payload signature'),
    );
  }
  if (findings.length > 0) return fail(findings);
  const what = [rpm.name, rpm.version, rpm.release].filter((x) => x !== undefined).join(' ');
  return {
    findings: [
      at(
        'OPENPGP_VERIFIED',
        `RPM ${what}: header signature by ${verified.join(', ')}, header and payload digests match`,
        {
          signers: verified,
          package: what,
        },
      ),
    ],
    facts: { openpgp: 'verified', openpgpSigner: verified.join(', '), rpm: what },
  };
}

/** A repository's signed Release and its Packages indexes, found beside the .deb or in evidence directories. */
function repositoryFiles(context: ArtifactContext): { releases: string[]; indexes: string[] } {
  const releases: string[] = [];
  const indexes: string[] = [];
  for (const dir of new Set([dirname(context.path), ...context.options.evidenceDirs])) {
    let names: string[];
    try {
      names = readdirSync(dir).slice(0, defaults.maxDirectoryEntries);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      // InRelease, or Release with its Release.gpg; apt's list names end the same way.
      if (name.endsWith('InRelease') || (name.endsWith('Release') && names.includes(`${name}.gpg`))) {
        releases.push(join(dir, name));
      } else if (name.endsWith('Packages') || name.endsWith('Packages.gz')) indexes.push(join(dir, name));
    }
  }
  return { releases, indexes };
}

/**
 * A `.deb` as apt trusts it: a Release signed by a pinned key (clear-signed InRelease, or
 * Release + Release.gpg), not past its Valid-Until, lists a Packages index given as evidence
 * (SHA-256 and size), and that index lists the package (SHA-256 and size). Undefined when no
 * Release is found: the package may carry a detached signature instead.
 */
async function checkDeb(
  context: ArtifactContext,
  source: ByteSource,
  keyrings: readonly OpenPgpKeyring[],
): Promise<ArtifactCheckResult | undefined> {
  const { releases, indexes } = repositoryFiles(context);
  if (releases.length === 0) return undefined;
  const at = (
    code: FindingCode,
    message: string,
    file: string,
    evidence: Record<string, EvidenceValue> = {},
  ) => findingAt(context, code, message, file, evidence);
  const sha256 = context.digests.sha256 ?? (await digestRange(source, 'sha256', 0, source.size));
  const failures: Finding[] = [];
  for (const releasePath of releases) {
    let checked: OpenPgpSignatureCheck & { text: string };
    try {
      const bytes = await readBoundedFile(releasePath, defaults.maxDebReleaseBytes, 'Release file');
      checked = isClearSigned(bytes)
        ? await checkClearSigned(bytes, releasePath, keyrings, context.now)
        : {
            ...(await checkDetachedSignature(bytes, `${releasePath}.gpg`, keyrings, context.now)),
            text: bytes.toString('utf8'),
          };
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      failures.push(at('OPENPGP_SIGNATURE_MALFORMED', error.message, releasePath));
      continue;
    }
    if (!checked.ok) {
      failures.push(
        at(
          checked.badByGivenKey ? 'OPENPGP_SIGNATURE_INVALID' : 'OPENPGP_SIGNER_UNTRUSTED',
          `${releasePath}: ${checked.problems.join('; ')}`,
          releasePath,
        ),
      );
      continue;
    }
    let release;
    try {
      release = parseRelease(checked.text, releasePath);
    } catch (error: unknown) {
      if (!(error instanceof RmmVerifyError)) throw error;
      failures.push(at('OPENPGP_SIGNATURE_MALFORMED', error.message, releasePath));
      continue;
    }
    const name = release.codename ?? release.suite ?? basename(releasePath);
    if (release.validUntil !== undefined && release.validUntil.getTime() < context.now.getTime()) {
      failures.push(
        at(
          'DEB_RELEASE_EXPIRED',
          `${releasePath}: ${name} was valid until ${release.validUntil.toISOString()}`,
          releasePath,
        ),
      );
      continue;
    }
    let listedIndexes = 0;
    for (const indexPath of indexes) {
      const raw = await readBoundedFile(indexPath, defaults.maxDebPackagesBytes, 'Packages index');
      const listed = release.sha256
        .get(createHash('sha256').update(raw).digest('hex'))
        ?.find((i) => i.size === raw.length);
      if (listed === undefined) continue;
      listedIndexes++;
      let text: string;
      try {
        text = (
          indexPath.endsWith('.gz') ? gunzipSync(raw, { maxOutputLength: defaults.maxDebPackagesBytes }) : raw
        ).toString('utf8');
      } catch (error: unknown) {
        failures.push(
          at('DEB_INDEX_UNLISTED', `${indexPath}: cannot be decompressed: ${errorMessage(error)}`, indexPath),
        );
        continue;
      }
      let entry: PackageEntry | undefined;
      try {
        entry = findPackage(text, sha256, source.size, indexPath);
      } catch (error: unknown) {
        if (!(error instanceof RmmVerifyError)) throw error;
        failures.push(at('DEB_INDEX_UNLISTED', error.message, indexPath));
        continue;
      }
      if (entry === undefined) continue;
      const what = `${entry.package} ${entry.version} ${entry.architecture}`;
      return {
        findings: [
          at(
            'OPENPGP_VERIFIED',
            `${what} is listed in ${listed.path} of ${name}'s Release (${basename(releasePath)}), signed by ${checked.signers.join(', ')}`,
            releasePath,
            {
              package: entry.package,
              version: entry.version,
              architecture: entry.architecture,
              index: listed.path,
              signers: checked.signers,
            },
          ),
        ],
        facts: { openpgp: 'verified', openpgpSigner: checked.signers.join(', '), deb: what },
      };
    }
    failures.push(
      listedIndexes === 0
        ? at(
            'DEB_INDEX_UNLISTED',
            `no Packages index given (${indexes.length} found) is listed in ${name}'s signed Release (${releasePath})`,
            releasePath,
          )
        : at(
            'DEB_NOT_IN_REPOSITORY',
            `sha256 ${sha256} (${source.size} bytes) is in none of the ${listedIndexes} Packages index(es) that ${name}'s signed Release lists`,
            releasePath,
            { sha256 },
          ),
    );
  }
  return { findings: failures, facts: { openpgp: 'failed', deb: 'failed' } };
}

/** Hex digest of bytes `start` to `end` of the source, read in bounded chunks. */
async function digestRange(
  source: ByteSource,
  algorithm: string,
  start: number,
  end: number,
): Promise<string> {
  const hash = createHash(algorithm);
  for (let offset = start; offset < end; offset += defaults.readChunkBytes) {
    hash.update(await source.read(offset, Math.min(defaults.readChunkBytes, end - offset)));
  }
  return hash.digest('hex');
}

/** A finding about this artifact, located in `file` (the artifact, or a signature or repository file). */
function findingAt(
  context: ArtifactContext,
  code: FindingCode,
  message: string,
  file: string,
  evidence: Record<string, EvidenceValue> = {},
): Finding {
  return finding(code, {
    subject: context.subject,
    message: `${context.subject}: ${message}`,
    evidence,
    location: { file },
  });
}
