import { escapeText } from '../report/escape-text.ts';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import { hashFile } from '../digest/multi-hash.ts';
import { UsageError } from '../errors.ts';
import { resolveGithubInputs, verifyReleaseAttestations } from '../github/cli-inputs.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { loadManifestFile, parseManifest } from '../manifest/load.ts';
import { newManifest, pinArtifacts, serializeManifest } from '../manifest/pin.ts';
import { defaultSignaturePath } from '../manifest/signature-file.ts';
import type { Artifact, Manifest } from '../manifest/types.ts';
import { helpOption, parseCommandArgs, requireFlag } from './args.ts';
import { write, type CliIo } from './io.ts';
import { progressOn } from './progress.ts';

const HELP = `Usage: rmm-verify pin <file>... --manifest M --version V --platform P [options]

Adds the files to release V of the manifest with their exact size, sha256 and sha512, and
bumps the serial by one. The manifest is written atomically and left UNSIGNED: sign it again
with 'rmm-verify manifest sign' (existing signatures no longer match). Pin never signs.

Options:
  -m, --manifest FILE   manifest to update (created when missing, with --product and --vendor)
      --version V       release version (semver), e.g. 7.4.2
      --platform P      platform of the files, e.g. windows-x64, linux-x64
      --product ID      product id for a new manifest
      --vendor NAME     vendor name for a new manifest
      --target          also make V the policy target
      --dry-run         print the new manifest to stdout instead of writing it
  -h, --help            show this help`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('pin', args, {
    ...helpOption,
    manifest: { type: 'string', short: 'm' },
    version: { type: 'string' },
    platform: { type: 'string' },
    product: { type: 'string' },
    vendor: { type: 'string' },
    target: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    token: { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, HELP);
    return 0;
  }
  const manifestPath = resolve(io.cwd, requireFlag('pin', 'manifest', values.manifest));
  if (positionals.length === 0) throw new UsageError('pin: name at least one file to pin');
  const version = requireFlag('pin', 'version', values.version);
  const platform = requireFlag('pin', 'platform', values.platform);

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
    });
    const outcomes = await verifyReleaseAttestations(github, io, values.token);
    for (const o of outcomes)
      write(io.stderr, escapeText(`pin: ${o.asset}: attestation ${o.status}: ${o.detail}`));
    if (outcomes.some((o) => o.status === 'failed')) return 1;
    positionals.splice(0, positionals.length, ...github.inputs);
  }
  const progress = progressOn(io);
  const artifacts: Artifact[] = [];
  for (const input of positionals) {
    const path = resolve(io.cwd, input);
    const hashed = await hashFile(path, {
      algorithms: ['sha256', 'sha512'],
      onProgress: (n) => {
        progress.update(input, n);
      },
    });
    if (hashed.exceededCap) throw new UsageError(`pin: ${input} is larger than the read limit`);
    artifacts.push({
      name: basename(path),
      platform,
      size: hashed.bytesRead,
      digests: { sha256: hashed.digests.sha256 ?? '', sha512: hashed.digests.sha512 ?? '' },
    });
  }
  progress.done();

  let next = pinArtifacts(manifest, { version, artifacts, now: io.now });
  if (values.target) next = { ...next, policy: { ...next.policy, target: version } };
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
    `pinned ${artifacts.length} artifact(s) as ${manifest.product} ${version} (${platform}); serial ${next.serial}${signatureNote}`,
  );
  return 0;
}
