import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';

import { defaults } from '../defaults.ts';
import { parseCertificate, type Certificate } from './certificate.ts';
import { openFileSource } from './source.ts';
import { deserializeError, serializeError, type SerializedError } from './thread-errors.ts';
import { systemRoots } from './trust.ts';
import {
  verifyAuthenticode,
  type AuthenticodePolicy,
  type AuthenticodeResult,
  type PinnedSigner,
} from './verifier.ts';

/**
 * Verifies the Authenticode signatures of many files on every core: this thread and a pool of
 * worker threads (one per further core) each keep a few files in flight, so one file's reads
 * overlap another's hashing and signature checks, and hashing reuses its chunk buffers
 * (image-hash.ts). The pinned roots are parsed once per thread: workers get their DER.
 *
 * The outcome is exactly that of verifying the files one after another: results in file order,
 * and when a file cannot be verified (an input error), the error of the first such file in
 * order is thrown after every file before it was verified; no later result is returned.
 *
 * The worker runs this same module (its URL is `import.meta.url`, also right inside a
 * single-file bundle); the check below starts the worker loop when loaded as the worker.
 */
const WORKER_TAG = 'rmm-verify/authenticode-pool';

export interface AuthenticodeFile {
  readonly path: string;
  /** How findings name the file. */
  readonly subject: string;
}

export interface VerifyFilesOptions {
  readonly signers: readonly PinnedSigner[];
  /** Also trust the system store (`--system-roots`). */
  readonly systemRoots: boolean;
  readonly policy: AuthenticodePolicy;
  readonly now: Date;
  /** Threads to use, this one included (default: one per core, fewer for few files). */
  readonly threads?: number;
}

interface SignerData {
  readonly label: string;
  readonly subject?: string;
  readonly thumbprint?: string;
  readonly roots: readonly Uint8Array[];
  readonly timestampRoots: readonly Uint8Array[];
}

interface PoolData {
  readonly tag: typeof WORKER_TAG;
  readonly signers: readonly SignerData[];
  readonly systemRoots: boolean;
  readonly policy: AuthenticodePolicy;
  readonly now: number;
}

type Outcome =
  | { readonly ok: true; readonly result: AuthenticodeResult }
  | { readonly ok: false; readonly error: SerializedError };

interface Task {
  readonly index: number;
  readonly file: AuthenticodeFile;
}

interface Reply {
  readonly index: number;
  readonly outcome: Outcome;
}

interface Verifier {
  readonly signers: readonly PinnedSigner[];
  readonly systemRoots: readonly Certificate[];
  readonly policy: AuthenticodePolicy;
  readonly now: Date;
}

async function verifyOne(file: AuthenticodeFile, verifier: Verifier): Promise<Outcome> {
  try {
    const source = await openFileSource(file.path);
    try {
      const result = await verifyAuthenticode(source, {
        trust: { signers: verifier.signers, systemRoots: verifier.systemRoots },
        policy: verifier.policy,
        now: verifier.now,
        subject: file.subject,
      });
      return { ok: true, result };
    } finally {
      await source.close();
    }
  } catch (error: unknown) {
    return { ok: false, error: serializeError(error) };
  }
}

/** Threads for `count` files: one per core, but no thread for fewer than a few files. */
export function threadsFor(count: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(count / defaults.authenticodeFilesPerThread)));
}

/** Verifies the files (see the module comment); resolves to one result per file, in order. */
export async function verifyAuthenticodeFiles(
  files: readonly AuthenticodeFile[],
  options: VerifyFilesOptions,
): Promise<AuthenticodeResult[]> {
  const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(files.length);
  let next = 0;
  // After an input error at file i no file after i is started (the sequential loop would stop).
  let stopAt = files.length;
  const take = (): Task | undefined => {
    if (next >= stopAt) return undefined;
    const index = next++;
    const file = files[index];
    return file ? { index, file } : undefined;
  };
  const record = (index: number, outcome: Outcome): void => {
    outcomes[index] = outcome;
    if (!outcome.ok) stopAt = Math.min(stopAt, index + 1);
  };
  const verifier: Verifier = {
    signers: options.signers,
    systemRoots: options.systemRoots ? systemRoots() : [],
    policy: options.policy,
    now: options.now,
  };
  const threads = Math.max(1, Math.min(options.threads ?? threadsFor(files.length), files.length));
  const workers = Array.from({ length: threads - 1 }, () => startWorker(options, take, record));
  const local = Array.from({ length: defaults.authenticodeFilesInFlight }, async () => {
    for (let task = take(); task; task = take()) record(task.index, await verifyOne(task.file, verifier));
  });
  await Promise.all([...local, ...workers]);
  const results: AuthenticodeResult[] = [];
  for (const outcome of outcomes) {
    // Only files after the first failure are missing, and the loop ends at that failure.
    if (!outcome) throw new Error('authenticode: a file was never verified');
    if (!outcome.ok) throw deserializeError(outcome.error);
    results.push(outcome.result);
  }
  return results;
}

/** One worker with up to `authenticodeFilesInFlight` files; resolves when no task is left. */
function startWorker(
  options: VerifyFilesOptions,
  take: () => Task | undefined,
  record: (index: number, outcome: Outcome) => void,
): Promise<void> {
  const data: PoolData = {
    tag: WORKER_TAG,
    signers: options.signers.map((signer) => ({
      label: signer.label,
      ...(signer.subject !== undefined ? { subject: signer.subject } : {}),
      ...(signer.thumbprint !== undefined ? { thumbprint: signer.thumbprint } : {}),
      roots: signer.roots.map((root) => root.der),
      timestampRoots: signer.timestampRoots.map((root) => root.der),
    })),
    systemRoots: options.systemRoots,
    policy: options.policy,
    now: options.now.getTime(),
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    const pending = new Map<number, Task>();
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve();
    };
    const feed = (): void => {
      while (pending.size < defaults.authenticodeFilesInFlight) {
        const task = take();
        if (!task) break;
        pending.set(task.index, task);
        worker.postMessage(task);
      }
      if (pending.size === 0) settle();
    };
    worker.on('message', (reply: Reply) => {
      pending.delete(reply.index);
      record(reply.index, reply.outcome);
      feed();
    });
    worker.on('error', (error: Error) => {
      settle(new Error(`authenticode: a verifier thread failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', (code: number) => {
      settle(new Error(`authenticode: a verifier thread stopped early (exit code ${code})`));
    });
    worker.on('online', feed);
  });
}

function isPoolData(data: unknown): data is PoolData {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === WORKER_TAG;
}

function runWorker(data: PoolData, port: MessagePort): void {
  const parse = (list: readonly Uint8Array[]): Certificate[] => list.map((der) => parseCertificate(der));
  const verifier: Verifier = {
    signers: data.signers.map((signer) => ({
      ...signer,
      roots: parse(signer.roots),
      timestampRoots: parse(signer.timestampRoots),
    })),
    systemRoots: data.systemRoots ? systemRoots() : [],
    policy: data.policy,
    now: new Date(data.now),
  };
  port.on('message', (task: Task) => {
    void verifyOne(task.file, verifier).then((outcome) => {
      port.postMessage({ index: task.index, outcome } satisfies Reply);
    });
  });
}

if (!isMainThread && parentPort !== null && isPoolData(workerData)) runWorker(workerData, parentPort);
