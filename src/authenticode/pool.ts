import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';

import { parseCertificate, type Certificate } from './certificate.ts';
import { descriptorSource } from './source.ts';
import { deserializeError, serializeError, type SerializedError } from './thread-errors.ts';
import { systemRoots } from './trust.ts';
import {
  verifyAuthenticode,
  type AuthenticodePolicy,
  type AuthenticodeResult,
  type PinnedSigner,
} from './verifier.ts';

/**
 * Authenticode verification on worker threads for `verify` runs over many files. The caller
 * keeps the artifact open and passes its descriptor: the worker reads that same open file (a
 * descriptor is shared by every thread of the process), so what was hashed is what is verified,
 * and the caller's checks for changes after the read still see everything. Each worker parses a
 * set of pinned roots once (the first request with it sends the DER), keeps its own reused
 * chunk buffers (image-hash.ts) and verifies several files at once.
 *
 * A result is exactly what verifyAuthenticode on the calling thread returns; an error is
 * rebuilt with its class, code and message (thread-errors.ts). A thread that fails or exits
 * fails its pending requests (the caller turns them into failing findings); the pool never
 * keeps the process alive while idle, and close() stops every thread.
 *
 * The worker runs this same module (its URL is `import.meta.url`, also right inside a
 * single-file bundle); the check at the end starts the worker loop when loaded as the worker.
 */
const WORKER_TAG = 'rmm-verify/authenticode-verify-pool';

export interface PoolRequest {
  /** Descriptor of the open file, kept open by the caller until the promise settles. */
  readonly fd: number;
  /** Bytes of the file to verify (the bytes hashed). */
  readonly size: number;
  /** The file's path or label, for messages. */
  readonly name: string;
  /** How findings name the file. */
  readonly subject: string;
  readonly signers: readonly PinnedSigner[];
  /** Also trust the system store (`--system-roots`). */
  readonly systemRoots: boolean;
  readonly policy?: AuthenticodePolicy;
  readonly now: Date;
}

interface SignerData {
  readonly label: string;
  readonly subject?: string;
  readonly thumbprint?: string;
  readonly roots: readonly Uint8Array[];
  readonly timestampRoots: readonly Uint8Array[];
}

type ToWorker =
  | { readonly kind: 'signers'; readonly id: number; readonly signers: readonly SignerData[] }
  | {
      readonly kind: 'verify';
      readonly id: number;
      readonly fd: number;
      readonly size: number;
      readonly name: string;
      readonly subject: string;
      readonly signersId: number;
      readonly systemRoots: boolean;
      readonly policy?: AuthenticodePolicy;
      readonly now: number;
    };

type Outcome =
  | { readonly ok: true; readonly result: AuthenticodeResult }
  | { readonly ok: false; readonly error: SerializedError };

interface Reply {
  readonly id: number;
  readonly outcome: Outcome;
}

interface Pending {
  readonly resolve: (result: AuthenticodeResult) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  alive: boolean;
}

export class AuthenticodePool {
  readonly #threads: Thread[];
  readonly #signerIds = new Map<readonly PinnedSigner[], number>();
  #nextId = 0;
  #closed = false;

  /** Starts `threads` worker threads (at least one). */
  constructor(threads: number) {
    this.#threads = Array.from({ length: Math.max(1, threads) }, () => this.#start());
  }

  get size(): number {
    return this.#threads.length;
  }

  #start(): Thread {
    const worker = new Worker(new URL(import.meta.url), { workerData: { tag: WORKER_TAG } });
    worker.unref(); // referenced only while it has requests (see #send)
    const thread: Thread = { worker, pending: new Map(), alive: true };
    worker.on('message', (reply: Reply) => {
      const pending = thread.pending.get(reply.id);
      if (!pending) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (reply.outcome.ok) pending.resolve(reply.outcome.result);
      else pending.reject(deserializeError(reply.outcome.error));
    });
    const fail = (error: Error): void => {
      thread.alive = false;
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    worker.on('error', (error: Error) => {
      fail(new Error(`authenticode: a verifier thread failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', (code: number) => {
      fail(new Error(`authenticode: a verifier thread stopped (exit code ${code})`));
    });
    return thread;
  }

  /** Verifies the open file on the least busy thread. */
  verify(request: PoolRequest): Promise<AuthenticodeResult> {
    if (this.#closed) return Promise.reject(new Error('authenticode: the verifier threads were stopped'));
    const live = this.#threads.filter((thread) => thread.alive);
    const thread = live.reduce<Thread | undefined>(
      (best, candidate) =>
        best === undefined || candidate.pending.size < best.pending.size ? candidate : best,
      undefined,
    );
    if (!thread) return Promise.reject(new Error('authenticode: no verifier thread is running'));
    let signersId = this.#signerIds.get(request.signers);
    if (signersId === undefined) {
      signersId = this.#nextId++;
      this.#signerIds.set(request.signers, signersId);
      const message: ToWorker = { kind: 'signers', id: signersId, signers: request.signers.map(signerData) };
      // Every thread gets the roots before any request that uses them (messages keep their order).
      for (const each of live) each.worker.postMessage(message);
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({
        kind: 'verify',
        id,
        fd: request.fd,
        size: request.size,
        name: request.name,
        subject: request.subject,
        signersId,
        systemRoots: request.systemRoots,
        ...(request.policy !== undefined ? { policy: request.policy } : {}),
        now: request.now.getTime(),
      } satisfies ToWorker);
    });
  }

  /** Stops every thread; requests still pending fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}

function signerData(signer: PinnedSigner): SignerData {
  return {
    label: signer.label,
    ...(signer.subject !== undefined ? { subject: signer.subject } : {}),
    ...(signer.thumbprint !== undefined ? { thumbprint: signer.thumbprint } : {}),
    roots: signer.roots.map((root) => root.der),
    timestampRoots: signer.timestampRoots.map((root) => root.der),
  };
}

function runWorker(port: MessagePort): void {
  const parse = (list: readonly Uint8Array[]): Certificate[] => list.map((der) => parseCertificate(der));
  // A set whose roots do not parse here keeps the error: every request using it fails with it.
  const signerSets = new Map<number, PinnedSigner[] | Error>();
  const verify = async (task: Extract<ToWorker, { kind: 'verify' }>): Promise<Outcome> => {
    try {
      const signers = signerSets.get(task.signersId);
      if (!signers) throw new Error(`authenticode: verifier thread has no signer set ${task.signersId}`);
      if (signers instanceof Error) throw signers;
      const result = await verifyAuthenticode(descriptorSource(task.fd, task.name, task.size), {
        trust: { signers, systemRoots: task.systemRoots ? systemRoots() : [] },
        ...(task.policy !== undefined ? { policy: task.policy } : {}),
        now: new Date(task.now),
        subject: task.subject,
      });
      return { ok: true, result };
    } catch (error: unknown) {
      return { ok: false, error: serializeError(error) };
    }
  };
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'signers') {
      try {
        signerSets.set(
          message.id,
          message.signers.map((signer) => ({
            ...signer,
            roots: parse(signer.roots),
            timestampRoots: parse(signer.timestampRoots),
          })),
        );
      } catch (error: unknown) {
        signerSets.set(message.id, error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    void verify(message).then((outcome) => {
      port.postMessage({ id: message.id, outcome } satisfies Reply);
    });
  });
}

function isPoolData(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === WORKER_TAG;
}

if (!isMainThread && parentPort !== null && isPoolData(workerData)) runWorker(parentPort);
