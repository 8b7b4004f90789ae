import { joinTextLines } from '../report/escape-text.ts';
import { chmod, lstat, mkdir, realpath, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

import { InputError, UsageError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { KEY_ALGORITHMS, generateKeyPair, type KeyAlgorithm } from '../manifest/keys.ts';
import {
  describeIdentity,
  loadTrustRoot,
  parseTrustRoot,
  type TrustRootDocument,
  type TrustedKeyDocument,
} from '../manifest/trust-root.ts';
import { defaults } from '../defaults.ts';
import {
  formatOption,
  helpOption,
  oneOf,
  parseCommandArgs,
  positiveInteger,
  requireFlag,
  subcommandHelp,
  unknownAction,
} from './args.ts';
import { write, type CliIo } from './io.ts';

const HELP = `Usage: rmm-verify keys <generate|list> [options]

  generate --name NAME --out DIR [--algorithm ed25519|ecdsa-p256|rsa] [--product P]... [--add-to TRUST]
      Writes DIR/NAME.key (private, mode 0600) and DIR/NAME.pub. DIR may not be inside keys/:
      private keys never live with the trust root. With --add-to, the public key is added to
      the trust root file (created with threshold 1 if missing), allowed to sign the --product
      values (default: any product).
  list [--trust FILE] [--format text|json]
      Lists the trust root's keys: key id, name, algorithm, products, and the threshold.`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommandArgs(`keys ${action ?? ''}`.trim(), rest, {
    ...helpOption,
    ...formatOption,
    name: { type: 'string' },
    out: { type: 'string' },
    algorithm: { type: 'string' },
    product: { type: 'string', multiple: true },
    'add-to': { type: 'string' },
    trust: { type: 'string', short: 't' },
    threshold: { type: 'string' },
  });
  if (action === undefined || action === '--help' || action === '-h' || values.help) {
    const own = action === undefined ? undefined : subcommandHelp(HELP, 'keys', action);
    write(io.stdout, own ?? HELP);
    return action === undefined ? 2 : 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`keys ${action}: unexpected argument '${positionals[0] ?? ''}'`);
  switch (action) {
    case 'generate':
      return generate(values, io);
    case 'list':
      return list(values, io);
    default:
      throw new UsageError(unknownAction('keys', action, ['generate', 'list']));
  }
}

interface GenerateValues {
  name?: string | undefined;
  out?: string | undefined;
  algorithm?: string | undefined;
  product?: string[] | undefined;
  'add-to'?: string | undefined;
  threshold?: string | undefined;
}

async function generate(values: GenerateValues, io: CliIo): Promise<number> {
  const name = requireFlag('keys generate', 'name', values.name);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UsageError(
      `keys generate: --name may hold letters, digits, '.', '_' and '-' only; got '${name}'`,
    );
  }
  const algorithm: KeyAlgorithm = oneOf(
    'keys generate',
    'algorithm',
    values.algorithm,
    KEY_ALGORITHMS,
    'ed25519',
  );
  const outDir = resolve(io.cwd, requireFlag('keys generate', 'out', values.out));
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const realOut = await realpath(outDir);
  const trustDirs = [resolve(io.cwd, 'keys')];
  if (values['add-to']) trustDirs.push(resolve(io.cwd, values['add-to'], '..'));
  for (const dir of trustDirs) {
    const realDir = await realpath(dir).catch(() => dir);
    if (realOut === realDir || realOut.startsWith(`${realDir}${sep}`)) {
      throw new UsageError(
        `keys generate: refusing to write a private key inside the trust directory ${realDir}; choose another --out`,
      );
    }
  }
  const pair = generateKeyPair(algorithm);
  const privatePath = join(outDir, `${name}.key`);
  const publicPath = join(outDir, `${name}.pub`);
  const entry: TrustedKeyDocument = {
    keyid: pair.keyid,
    name,
    publicKey: pair.publicKeyPem,
    products: values.product ?? ['*'],
  };
  // Everything that can fail on input is checked before the first key file is written, so an
  // input error never leaves keys behind (and never follows a success message).
  let trustUpdate: { path: string; next: TrustRootDocument } | undefined;
  if (values['add-to']) {
    const trustPath = resolve(io.cwd, values['add-to']);
    const threshold = positiveInteger('keys generate', 'threshold', values.threshold);
    let document: TrustRootDocument;
    try {
      const bytes = await readBoundedFile(trustPath, defaults.maxTrustRootBytes, 'trust root');
      parseTrustRoot(bytes, trustPath);
      document = JSON.parse(bytes.toString('utf8')) as TrustRootDocument;
    } catch (error: unknown) {
      // Only a missing file starts a new trust root; anything else unreadable is an error.
      if ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code !== 'ENOENT') throw error;
      document = { schema: 1, threshold: 1, keys: [] };
    }
    const next: TrustRootDocument = {
      ...document,
      threshold: threshold ?? document.threshold,
      keys: [...document.keys, entry],
    };
    // Validate before writing: the trust root on disk is never left invalid.
    parseTrustRoot(Buffer.from(JSON.stringify(next)), trustPath);
    trustUpdate = { path: trustPath, next };
  }
  for (const path of [privatePath, publicPath]) {
    if (
      await lstat(path).then(
        () => true,
        () => false,
      )
    ) {
      throw new InputError('OUTPUT_UNWRITABLE', 'already exists; not replacing a key', { file: path });
    }
  }
  // Each key file is written whole to a temp file and hard-linked into place (never replacing
  // one); if a later step fails, the key files written so far are removed again.
  const written: string[] = [];
  try {
    await writeFileAtomic(privatePath, pair.privateKeyPem, { mode: 0o600, exclusive: true });
    written.push(privatePath);
    await chmod(privatePath, 0o600);
    await writeFileAtomic(publicPath, pair.publicKeyPem, { exclusive: true });
    written.push(publicPath);
    if (trustUpdate)
      await writeFileAtomic(trustUpdate.path, `${JSON.stringify(trustUpdate.next, null, 2)}\n`);
  } catch (error: unknown) {
    for (const path of written) await rm(path, { force: true });
    throw error;
  }
  if (trustUpdate) {
    write(
      io.stderr,
      `added key ${pair.keyid} (${name}) to ${trustUpdate.path}; threshold ${trustUpdate.next.threshold} of ${trustUpdate.next.keys.length}`,
    );
  } else {
    write(io.stdout, JSON.stringify(entry, null, 2));
  }
  write(io.stderr, `wrote ${privatePath} (private, 0600) and ${publicPath}; key id ${pair.keyid}`);
  return 0;
}

async function list(
  values: { trust?: string | undefined; format?: string | undefined },
  io: CliIo,
): Promise<number> {
  const trustPath = resolve(io.cwd, values.trust ?? join('keys', 'trust.json'));
  const format = oneOf('keys list', 'format', values.format, ['text', 'json'] as const, 'text');
  const trust = await loadTrustRoot(trustPath);
  const keys = [...trust.keys.values()].map((k) => ({
    keyid: k.keyid,
    name: k.name,
    algorithm: k.algorithm,
    products: [...k.products],
  }));
  const identities = trust.identities.map((identity) => ({
    name: identity.name,
    issuer: identity.issuer,
    ...(identity.subject.kind === 'exact'
      ? { subject: identity.subject.value }
      : { subjectRegExp: identity.subject.pattern }),
    ...(identity.repository !== undefined ? { repository: identity.repository } : {}),
    products: [...identity.products],
  }));
  if (format === 'json') {
    write(
      io.stdout,
      JSON.stringify({ path: trustPath, threshold: trust.threshold, keys, identities }, null, 2),
    );
  } else {
    const lines = [
      `${trustPath}: threshold ${trust.threshold} of ${keys.length} key(s)${identities.length > 0 ? ` and ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'}` : ''}`,
    ];
    for (const k of keys)
      lines.push(`  ${k.keyid}  ${k.algorithm.padEnd(10)}  ${k.name}  products: ${k.products.join(', ')}`);
    for (const identity of trust.identities)
      lines.push(`  identity  ${describeIdentity(identity)}  products: ${identity.products.join(', ')}`);
    io.stdout.write(joinTextLines(lines));
  }
  return 0;
}
