import { escapeText } from '../report/escape-text.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';

import { defaults } from '../defaults.ts';

import { hashFile } from '../digest/multi-hash.ts';
import { errorMessage, formatLocated, InputError, UsageError } from '../errors.ts';
import { readBoundedFile } from '../json/index.ts';
import { HASH_LIST_FORMATS, parseHashList, type HashListFormat } from '../manifest/hash-list.ts';
import { pinsFromList } from '../manifest/pins-from-list.ts';
import { resolveGithubInputs, verifyReleaseAttestations } from '../github/cli-inputs.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { loadManifestFile, parseManifest } from '../manifest/load.ts';
import { newManifest, pinArtifacts, serializeManifest } from '../manifest/pin.ts';
import { defaultSignaturePath } from '../manifest/signature-file.ts';
import type { ListSigner } from '../manifest/hash-list-signature.ts';
import type { Artifact, ListSignature, Manifest } from '../manifest/types.ts';
import { helpOption, parseCommandArgs, requireFlag } from './args.ts';
import { write, type CliIo } from './io.ts';
import { progressOn, type Progress } from './progress.ts';
import type { SignerFlags } from './sigstore-signer.ts';

const HELP = `Usage: rmm-verify pin <file>... --manifest M --version V --platform P [options]
       rmm-verify pin --from LIST --manifest M --version V [--dir DIR] [options]

Adds the files to release V of the manifest with their exact size, sha256 and sha512, and
bumps the serial by one. With --from, the files are those a vendor's hash list names
(MeshCentral's hashagents.json, a SHA256SUMS-style file, or a CSV): each is hashed and must
have the listed size and digests, or nothing is written (exit 1); each pin records the list. The manifest is written atomically and left UNSIGNED: sign it again
with 'rmm-verify manifest sign' (existing signatures no longer match). Pin never signs.

Options:
  -m, --manifest FILE   manifest to update (created when missing, with --product and --vendor)
      --version V       release version (semver), e.g. 7.4.2
      --platform P      platform of the files, e.g. windows-x64, linux-x64
      --product ID      product id for a new manifest
      --vendor NAME     vendor name for a new manifest
      --alias NAME      another name the product has in inventories (uninstall name, service,
                        executable), so drift counts it as this product; repeatable
      --from LIST       pin the files a vendor hash list names, checked against the files
      --list-format F   meshcentral, sums or csv (default: detected from the content)
      --dir DIR         where the listed files are (default: the list's directory)
      --skip-missing    leave out listed files that are absent (default: exit 2)
      --list-key KEY    the list must carry a good OpenPGP signature by one of these public
                        keys (armored or binary, a keyring such as a vendor's .gpg); repeatable.
                        The signature is LIST.asc, .sig, .gpg or .sign, or the list itself when
                        it is clear-signed, unless --list-signature names it
      --certificate-identity I, --certificate-identity-regexp R
      --certificate-oidc-issuer U, --certificate-oidc-issuer-regexp R
                        the list must carry a Sigstore bundle (LIST.sigstore.json, .sigstore,
                        .bundle, or --list-signature) signed by this identity, as 'attest verify';
                        with --trusted-root T, --offline or --tuf-cache DIR as there
      --list-signature FILE  the list's detached signature or bundle
      --resigned-by CERT  the PE files are deployed re-signed with this certificate (PEM or
                        DER; e.g. your MeshCentral server's): also pin their Authenticode image
                        hash, and require a valid signature chaining to CERT on every copy
      --target          also make V the policy target
      --token TOKEN     GitHub token for github:owner/repo@tag (default: $GITHUB_TOKEN)
      --github-api-url URL  GitHub Enterprise API, e.g. https://ghe.example.com/api/v3 (default:
                        $GITHUB_API_URL, else https://api.github.com); attestations must come
                        from that host's repository
      --dry-run         print the new manifest to stdout instead of writing it
  -h, --help            show this help`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('pin', args, {
    ...helpOption,
    manifest: { type: 'string', short: 'm' },
    version: { type: 'string' },
    platform: { type: 'string' },
    product: { type: 'string' },
    alias: { type: 'string', multiple: true },
    vendor: { type: 'string' },
    target: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    token: { type: 'string' },
    'github-api-url': { type: 'string' },
    from: { type: 'string' },
    'list-format': { type: 'string' },
    dir: { type: 'string' },
    'skip-missing': { type: 'boolean' },
    'resigned-by': { type: 'string' },
    'list-key': { type: 'string', multiple: true },
    'list-signature': { type: 'string' },
    'certificate-identity': { type: 'string' },
    'certificate-identity-regexp': { type: 'string' },
    'certificate-oidc-issuer': { type: 'string' },
    'certificate-oidc-issuer-regexp': { type: 'string' },
    'trusted-root': { type: 'string' },
    offline: { type: 'boolean' },
    'tuf-cache': { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, HELP);
    return 0;
  }
  const manifestPath = resolve(io.cwd, requireFlag('pin', 'manifest', values.manifest));
  const fromList = values.from;
  if (fromList !== undefined && positionals.length > 0) {
    throw new UsageError('pin: give either files or --from LIST, not both');
  }
  const listOnly = [
    'dir',
    'skip-missing',
    'list-format',
    'list-key',
    'list-signature',
    'certificate-identity',
    'certificate-identity-regexp',
    'certificate-oidc-issuer',
    'certificate-oidc-issuer-regexp',
    'trusted-root',
    'offline',
    'tuf-cache',
  ] as const;
  const misplaced = listOnly.filter((flag) => values[flag] !== undefined);
  if (fromList === undefined && misplaced.length > 0) {
    const flags = misplaced.map((flag) => `--${flag}`);
    throw new UsageError(
      `pin: ${flags.join(', ')} ${flags.length === 1 ? 'goes' : 'go'} with --from LIST, not with files`,
    );
  }
  if (fromList === undefined && positionals.length === 0) {
    throw new UsageError('pin: name at least one file to pin, or --from LIST');
  }
  const version = requireFlag('pin', 'version', values.version);
  const platform = fromList === undefined ? requireFlag('pin', 'platform', values.platform) : values.platform;

  let manifest: Manifest;
  if (existsSync(manifestPath)) {
    manifest = (await loadManifestFile(manifestPath)).manifest;
  } else {
    const product = requireFlag('pin', 'product (the manifest does not exist yet)', values.product);
    const vendor = requireFlag('pin', 'vendor (the manifest does not exist yet)', values.vendor);
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(product)) {
      throw new UsageError(
        `pin: --product must be lower-case letters, digits, '.', '_' or '-'; got '${product}'`,
      );
    }
    manifest = newManifest(product, vendor, version, io.now);
  }

  // HOOK github: `github:owner/repo@tag` arguments are downloaded and their attestations verified here.
  if (positionals.some((p) => p.startsWith('github:'))) {
    const github = await resolveGithubInputs('pin', positionals, io, {
      token: values.token,
      offline: false,
      attestations: false,
      apiUrl: values['github-api-url'],
    });
    const outcomes = await verifyReleaseAttestations(github, io, values.token, values['github-api-url']);
    for (const o of outcomes)
      write(io.stderr, escapeText(`pin: ${o.asset}: attestation ${o.status}: ${o.detail}`));
    if (outcomes.some((o) => o.status === 'failed')) return 1;
    positionals.splice(0, positionals.length, ...github.inputs);
  }
  const progress = progressOn(io);
  const pinned =
    fromList === undefined
      ? await pinFiles(positionals, platform ?? '', io, progress)
      : await pinFromList(resolve(io.cwd, fromList), values, io, progress);
  progress.done();
  if (pinned === undefined) return 1;
  const artifacts =
    values['resigned-by'] === undefined
      ? pinned.map((p) => p.artifact)
      : await withResignedPins(pinned, resolve(io.cwd, values['resigned-by']), dirname(manifestPath), io);

  let next = pinArtifacts(manifest, { version, artifacts, now: io.now });
  if (values.target) next = { ...next, policy: { ...next.policy, target: version } };
  const aliases = [...new Set([...(next.aliases ?? []), ...(values.alias ?? [])])];
  if (aliases.length > 0) next = { ...next, aliases };
  const text = serializeManifest(next);
  // Never write a manifest we would refuse to load.
  parseManifest(Buffer.from(text), manifestPath);
  if (values['dry-run']) {
    io.stdout.write(text);
    return 0;
  }
  await writeFileAtomic(manifestPath, text);
  const signatureNote = existsSync(defaultSignaturePath(manifestPath))
    ? `; its signatures no longer match: re-sign with 'rmm-verify manifest sign ${values.manifest ?? ''} --key KEY'`
    : `; unsigned: sign with 'rmm-verify manifest sign ${values.manifest ?? ''} --key KEY'`;
  write(
    io.stderr,
    `pinned ${artifacts.length} artifact(s) as ${manifest.product} ${version} (${[...new Set(artifacts.map((a) => a.platform))].join(', ')}); serial ${next.serial}${signatureNote}`,
  );
  return 0;
}

type PinnedFile = { readonly artifact: Artifact; readonly path: string };

async function pinFiles(
  inputs: readonly string[],
  platform: string,
  io: CliIo,
  progress: Progress,
): Promise<PinnedFile[]> {
  const pinned: PinnedFile[] = [];
  for (const input of inputs) {
    const path = resolve(io.cwd, input);
    const hashed = await hashFile(path, {
      algorithms: ['sha256', 'sha512'],
      onProgress: (n) => {
        progress.update(input, n);
      },
    });
    if (hashed.exceededCap) throw new UsageError(`pin: ${input} is larger than the read limit`);
    pinned.push({
      path,
      artifact: {
        name: basename(path),
        platform,
        size: hashed.bytesRead,
        digests: { sha256: hashed.digests.sha256 ?? '', sha512: hashed.digests.sha512 ?? '' },
      },
    });
  }
  return pinned;
}

/** The checked pins of a vendor hash list, or undefined (after saying why) when a file contradicts it. */
async function pinFromList(
  listPath: string,
  values: ListFlags,
  io: CliIo,
  progress: Progress,
): Promise<readonly PinnedFile[] | undefined> {
  const format = values['list-format'];
  if (format !== undefined && !(HASH_LIST_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `pin: --list-format must be one of ${HASH_LIST_FORMATS.join(', ')}; got '${format}'`,
    );
  }
  const fileBytes = await readBoundedFile(listPath, defaults.maxHashListBytes, 'hash list');
  const signed = await checkedListBytes(listPath, fileBytes, values, io);
  if (signed === undefined) return undefined;
  const list = {
    ...parseHashList(signed.bytes, listPath, format as HashListFormat | undefined),
    // The record names the file as published (a clear-signed list: armor and all).
    sha256: createHash('sha256').update(fileBytes).digest('hex'),
  };
  const result = await pinsFromList(list, {
    listPath,
    ...(signed.signature !== undefined ? { listSignature: signed.signature } : {}),
    dir: values.dir === undefined ? dirname(listPath) : resolve(io.cwd, values.dir),
    ...(values.platform !== undefined ? { platform: values.platform } : {}),
    skipMissing: values['skip-missing'] === true,
    onProgress: (name, n) => {
      progress.update(name, n);
    },
  });
  for (const entry of result.missing) {
    write(
      io.stderr,
      escapeText(
        `pin: skipped ${entry.name}: not in the folder (${formatLocated(entry.location, 'listed')})`,
      ),
    );
  }
  for (const m of result.mismatches) {
    write(
      io.stderr,
      escapeText(
        `pin: FAIL ${m.entry.name}: ${formatLocated(m.entry.location, `the list gives ${m.what} ${m.listed}`)}, the file has ${m.actual}`,
      ),
    );
  }
  if (result.mismatches.length > 0) {
    write(
      io.stderr,
      `pin: ${result.mismatches.length} listed value(s) do not match the files; the manifest is unchanged`,
    );
    return undefined;
  }
  if (result.pinned.length === 0) {
    throw new InputError('INPUT_INVALID', 'none of the listed files is present: nothing to pin', {
      file: listPath,
    });
  }
  return result.pinned;
}

type ListFlags = SignerFlags & {
  readonly 'list-format'?: string | undefined;
  readonly dir?: string | undefined;
  readonly platform?: string | undefined;
  readonly 'skip-missing'?: boolean | undefined;
  readonly 'list-key'?: readonly string[] | undefined;
  readonly 'list-signature'?: string | undefined;
  readonly 'trusted-root'?: string | undefined;
  readonly offline?: boolean | undefined;
  readonly 'tuf-cache'?: string | undefined;
};

/**
 * The list's bytes to parse, after its signature verified when one is asked for; undefined
 * (after saying why) when it does not verify. Without a key or identity, a signature lying
 * beside the list is named as not checked.
 */
async function checkedListBytes(
  listPath: string,
  fileBytes: Buffer,
  values: ListFlags,
  io: CliIo,
): Promise<{ bytes: Buffer; signature?: ListSignature } | undefined> {
  const { anySignatureBeside, checkListSignature } = await import('../manifest/hash-list-signature.ts');
  const signer = await listSigner(values, io);
  const signaturePath =
    values['list-signature'] === undefined ? undefined : resolve(io.cwd, values['list-signature']);
  if (signer === undefined) {
    if (signaturePath !== undefined) {
      throw new UsageError(
        'pin: --list-signature needs --list-key KEY (OpenPGP) or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp] (Sigstore)',
      );
    }
    const beside = await anySignatureBeside(listPath);
    if (beside !== undefined) {
      write(
        io.stderr,
        escapeText(
          `pin: note: ${basename(beside)} is not checked; give --list-key KEY (OpenPGP) or --certificate-identity and --certificate-oidc-issuer (Sigstore) to require it`,
        ),
      );
    }
    return { bytes: fileBytes };
  }
  const checked = await checkListSignature(listPath, fileBytes, signer, signaturePath, io.now);
  if (!checked.ok) {
    for (const problem of checked.problems) {
      write(io.stderr, escapeText(`pin: FAIL ${basename(checked.signatureFile)}: ${problem}`));
    }
    write(io.stderr, `pin: the list's signature does not verify; the manifest is unchanged`);
    return undefined;
  }
  const { format, file, signers } = checked.signature;
  write(
    io.stderr,
    escapeText(`pin: ${basename(listPath)}: good ${format} signature (${file}) by ${signers.join(', ')}`),
  );
  return checked;
}

async function listSigner(values: ListFlags, io: CliIo): Promise<ListSigner | undefined> {
  const keys = values['list-key'] ?? [];
  const sigstore =
    values['certificate-identity'] !== undefined ||
    values['certificate-identity-regexp'] !== undefined ||
    values['certificate-oidc-issuer'] !== undefined ||
    values['certificate-oidc-issuer-regexp'] !== undefined;
  if (keys.length > 0 && sigstore) {
    throw new UsageError('pin: give --list-key (OpenPGP) or a certificate identity (Sigstore), not both');
  }
  if (keys.length > 0) return { kind: 'openpgp', keyFiles: keys.map((k) => resolve(io.cwd, k)) };
  if (!sigstore) {
    if (
      values['trusted-root'] !== undefined ||
      values.offline === true ||
      values['tuf-cache'] !== undefined
    ) {
      throw new UsageError('pin: --trusted-root, --offline and --tuf-cache go with a certificate identity');
    }
    return undefined;
  }
  if (values['certificate-identity'] === undefined && values['certificate-identity-regexp'] === undefined) {
    throw new UsageError(
      'pin: a Sigstore-signed list needs --certificate-identity or --certificate-identity-regexp',
    );
  }
  const [{ DEFAULT_ATTEST_POLICY }, { loadSigstoreTrust, signerPolicy }] = await Promise.all([
    import('../sigstore/attest-policy.ts'),
    import('./sigstore-signer.ts'),
  ]);
  const { policy, trustOptions } = await signerPolicy('pin', values, DEFAULT_ATTEST_POLICY, io);
  return { kind: 'sigstore', policy, trust: () => loadSigstoreTrust(values, trustOptions, io) };
}

/**
 * Adds a re-signed pin to each PE: its Authenticode image hash, and the certificate every
 * deployed copy must be signed with (named relative to the manifest's folder, as manifests name
 * roots).
 */
async function withResignedPins(
  pinned: readonly PinnedFile[],
  certificate: string,
  manifestDir: string,
  io: CliIo,
): Promise<Artifact[]> {
  const root = relative(manifestDir, certificate).split(sep).join('/');
  const { loadPinnedSigners } = await import('../authenticode/trust.ts');
  // Refuse a certificate that verify could not use later.
  try {
    await loadPinnedSigners([{ roots: [root] }], manifestDir);
  } catch (error: unknown) {
    throw new InputError('INPUT_INVALID', `--resigned-by: not a usable certificate: ${errorMessage(error)}`, {
      file: certificate,
    });
  }
  const { peFileImageSha256 } = await import('../authenticode/file-image-hash.ts');
  const out: Artifact[] = [];
  let notPe = 0;
  for (const { artifact, path } of pinned) {
    const image = await peFileImageSha256(path);
    if (image === undefined) notPe++;
    out.push(
      image === undefined
        ? artifact
        : { ...artifact, resigned: { imageHash: { sha256: image }, signers: [{ roots: [root] }] } },
    );
  }
  if (notPe > 0)
    write(
      io.stderr,
      `pin: ${notPe} of ${out.length} file(s) are not Windows PEs: pinned by their bytes only`,
    );
  return out;
}
