import type {
  ArtifactCheck,
  ArtifactCheckResult,
  ArtifactContext,
  CheckResources,
  RunResource,
} from '../artifact/check.ts';
import { RmmVerifyError, errorMessage } from '../errors.ts';
import { finding, type EvidenceValue } from '../findings.ts';
import type { AuthenticodeSigner } from '../manifest/types.ts';
import { AuthenticodePool } from './pool.ts';
import { loadPinnedSigners, systemRoots } from './trust.ts';
import { openFileSource, type ByteSource } from './source.ts';
import {
  isAuthenticodeFile,
  verifyAuthenticode,
  type AuthenticodeResult,
  type PinnedSigner,
} from './verifier.ts';

function failed(
  context: ArtifactContext,
  code: 'AUTHENTICODE_MALFORMED' | 'AUTHENTICODE_TRUST_UNAVAILABLE',
  message: string,
  evidence: Record<string, EvidenceValue> = {},
): ArtifactCheckResult {
  return {
    findings: [
      finding(code, {
        subject: context.subject,
        message: `${context.subject}: ${message}`,
        evidence,
        location: { file: context.path },
      }),
    ],
    facts: { authenticode: 'failed' },
  };
}

function facts(result: AuthenticodeResult): Record<string, EvidenceValue> {
  if (!result.signed) return { authenticode: 'unsigned' };
  const primary = result.signatures.find((s) => s.trusted) ?? result.signatures[0];
  const timestamp = primary?.timestamps.find((t) => t.valid);
  return {
    authenticode: result.passed ? 'verified' : 'failed',
    authenticodeFormat: result.format,
    authenticodeSignatures: result.signatures.length,
    ...(primary?.signer
      ? { authenticodeSigner: primary.signer.subject, authenticodeThumbprint: primary.signer.thumbprint }
      : {}),
    ...(timestamp?.time ? { authenticodeTimestamp: timestamp.time } : {}),
  };
}

/**
 * What the check keeps for one `verify` run: each manifest's pinned roots read and parsed once
 * (not once per file), and the worker threads when the run has some.
 */
class AuthenticodeRun implements RunResource {
  readonly #signers = new Map<readonly AuthenticodeSigner[], Map<string, Promise<PinnedSigner[]>>>();
  #pool: AuthenticodePool | undefined;
  readonly #threads: number;

  constructor(threads: number) {
    this.#threads = threads;
  }

  signers(pins: readonly AuthenticodeSigner[], manifestDir: string): Promise<PinnedSigner[]> {
    let byDir = this.#signers.get(pins);
    if (!byDir) {
      byDir = new Map<string, Promise<PinnedSigner[]>>();
      this.#signers.set(pins, byDir);
    }
    let loaded = byDir.get(manifestDir);
    if (!loaded) {
      loaded = loadPinnedSigners(pins, manifestDir);
      // Every artifact that uses these pins reports the same failure; this only marks it handled.
      loaded.catch(() => undefined);
      byDir.set(manifestDir, loaded);
    }
    return loaded;
  }

  /** The run's worker threads, started on first use; undefined when the run has none. */
  pool(): AuthenticodePool | undefined {
    if (this.#threads > 0) this.#pool ??= new AuthenticodePool(this.#threads);
    return this.#pool;
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }
}

function runOf(resources: CheckResources | undefined): AuthenticodeRun | undefined {
  return resources?.shared('authenticode', () => new AuthenticodeRun(resources.threads));
}

/**
 * `verify` step for Windows PE and MSI artifacts: applies when the file starts with `MZ` or the
 * compound-file signature and the manifest pins Authenticode signers or requires Authenticode.
 */
export const authenticodeCheck: ArtifactCheck = {
  name: 'authenticode',
  async run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined> {
    const pins = context.manifest.signers.authenticode ?? [];
    const required = context.manifest.policy.requireAuthenticode === true;
    if (pins.length === 0 && !required) return undefined;
    // Read through the handle that was hashed when verify passes one (what was hashed is what
    // is verified); open the path only when the check runs on its own.
    let source: ByteSource;
    let close = (): Promise<void> => Promise.resolve();
    if (context.file) source = context.file;
    else {
      try {
        const opened = await openFileSource(context.path);
        source = opened;
        close = () => opened.close();
      } catch (error: unknown) {
        return failed(context, 'AUTHENTICODE_MALFORMED', `cannot read the file: ${errorMessage(error)}`);
      }
    }
    try {
      const head = await source.read(0, Math.min(8, source.size));
      if (!isAuthenticodeFile(head)) return undefined;
      if (pins.length === 0) {
        return failed(
          context,
          'AUTHENTICODE_TRUST_UNAVAILABLE',
          'policy.requireAuthenticode is set but signers.authenticode pins no signer to verify against',
        );
      }
      const run = runOf(context.resources);
      let signers: PinnedSigner[];
      try {
        signers = await (run
          ? run.signers(pins, context.manifestDir)
          : loadPinnedSigners(pins, context.manifestDir));
      } catch (error: unknown) {
        return failed(context, 'AUTHENTICODE_TRUST_UNAVAILABLE', errorMessage(error));
      }
      const pool = run?.pool();
      let result: AuthenticodeResult;
      try {
        // On a worker thread when the run has them, reading the same open file; else here.
        result =
          pool && source.fd !== undefined
            ? await pool.verify({
                fd: source.fd,
                size: source.size,
                name: source.name,
                subject: context.subject,
                signers,
                systemRoots: context.options.systemRoots,
                now: context.now,
              })
            : await verifyAuthenticode(source, {
                trust: { signers, systemRoots: context.options.systemRoots ? systemRoots() : [] },
                now: context.now,
                subject: context.subject,
              });
      } catch (error: unknown) {
        // Fail closed: a file that cannot be parsed is a failed verification, never a skipped one.
        if (!(error instanceof RmmVerifyError)) throw error;
        return failed(context, 'AUTHENTICODE_MALFORMED', error.message, {
          ...(error.location.offset !== undefined ? { offset: error.location.offset } : {}),
        });
      }
      return { findings: result.findings, facts: facts(result) };
    } finally {
      await close();
    }
  },
};
