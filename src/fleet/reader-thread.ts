import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage, type ErrorLocation, type InputErrorCode } from '../errors.ts';
import type { CsvLayout } from './csv-rows.ts';
import {
  CsvTextReader,
  fileSource,
  readInventoryText,
  type InputSummary,
  type InventoryReadOptions,
  type InventorySource,
} from './inventory.ts';
import { RowBatchReader, RowBatchWriter, type RowBatch } from './row-batch.ts';
import type { DriftScanner } from './scan.ts';
import type { InventoryRow } from './types.ts';

/**
 * Reads a CSV inventory file on a worker thread: the thread reads, gunzips, decodes, parses,
 * checks and interns (row-batch.ts), while this thread classifies and deduplicates, so a large
 * scan uses two cores. Rows, malformed-row reports and errors arrive in file order, so results
 * and findings are exactly those of reading on this thread. At most `BATCHES_IN_FLIGHT` batches
 * are queued, so memory stays bounded when the scanner is the slower side.
 *
 * The worker runs this same module (its URL is `import.meta.url`, which is also right inside the
 * Action's single-file bundle): the check below starts the reader when the module is loaded as
 * the worker.
 */
const WORKER_TAG = 'rmm-verify/inventory-reader';
const BATCHES_IN_FLIGHT = 4;

interface ReaderData {
  readonly tag: typeof WORKER_TAG;
  readonly path: string;
  readonly name: string;
  readonly readChunkBytes: number;
  readonly allowSpecialFiles: boolean;
  /** Shared with the main thread (SharedArrayBuffer): bytes read, for progress. */
  readonly bytesRead?: BigInt64Array;
  readonly options: InventoryReadOptions;
  readonly pinnedSha256: readonly string[];
  readonly needsPlatform: boolean;
}

type SerializedError =
  | {
      readonly input: true;
      readonly code: InputErrorCode;
      readonly detail: string;
      readonly location: ErrorLocation;
    }
  | { readonly input: false; readonly message: string };

type ReaderMessage =
  | { readonly type: 'batch'; readonly batch: RowBatch }
  | { readonly type: 'end'; readonly summary: InputSummary }
  | { readonly type: 'not-csv' }
  | { readonly type: 'error'; readonly error: SerializedError };

/** A batch's buffers, back for reuse. */
interface AckMessage {
  readonly columns: ArrayBuffer;
  readonly text: ArrayBuffer;
}

function isReaderData(data: unknown): data is ReaderData {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === WORKER_TAG;
}

if (!isMainThread && parentPort !== null && isReaderData(workerData)) void runReader(workerData, parentPort);

/** Thrown inside the worker when the input is JSON: the caller reads it on its own thread. */
class NotCsv extends Error {}

/** The worker: reads the file and posts batches, waiting while BATCHES_IN_FLIGHT are queued. */
async function runReader(data: ReaderData, port: MessagePort): Promise<void> {
  const writer = new RowBatchWriter(data.pinnedSha256, data.needsPlatform);
  let credits = BATCHES_IN_FLIGHT;
  let wake: (() => void) | undefined;
  port.on('message', (message: AckMessage) => {
    writer.recycle(message.columns, message.text);
    credits++;
    wake?.();
    wake = undefined;
  });
  const send = (wide: boolean): Promise<void> | undefined => {
    if (!writer.pending) return undefined;
    const batch = writer.take(wide);
    credits--;
    port.postMessage({ type: 'batch', batch } satisfies ReaderMessage, [batch.columns, batch.text]);
    return credits > 0 ? undefined : new Promise<void>((resolve) => (wake = resolve));
  };
  const source: InventorySource = {
    ...fileSource(data.path, data.readChunkBytes, {
      allowSpecialFiles: data.allowSpecialFiles,
      ...(data.bytesRead !== undefined ? { bytesRead: data.bytesRead } : {}),
    }),
    name: data.name,
  };
  try {
    const summary = await readInventoryText(source, data.options, (format, file, firstLine) => {
      if (format !== 'csv') throw new NotCsv();
      return new BatchingCsvReader(file, writer, data.options, firstLine, send);
    });
    port.postMessage({ type: 'end', summary } satisfies ReaderMessage);
  } catch (error: unknown) {
    const message: ReaderMessage =
      error instanceof NotCsv
        ? { type: 'not-csv' }
        : {
            type: 'error',
            error:
              error instanceof InputError
                ? { input: true, code: error.code, detail: error.detail, location: error.location }
                : { input: false, message: errorMessage(error) },
          };
    port.postMessage(message);
  }
}

/** The worker's CSV reader: the same parser and mapper as `readInventory`, rows into batches. */
class BatchingCsvReader extends CsvTextReader {
  private readonly writer: RowBatchWriter;
  private readonly send: (wide: boolean) => Promise<void> | undefined;
  /** Set once a chunk was not pure ASCII: texts may then hold characters ≥ 256. */
  private wide = false;

  constructor(
    file: string,
    writer: RowBatchWriter,
    options: InventoryReadOptions,
    firstLine: number,
    send: (wide: boolean) => Promise<void> | undefined,
  ) {
    super(file, options, firstLine);
    this.writer = writer;
    this.send = send;
  }

  override push(text: string, ascii: boolean): Promise<void> | undefined {
    if (!ascii) this.wide = true;
    return super.push(text, ascii);
  }

  protected override flush(): Promise<void> | undefined {
    return this.send(this.wide);
  }

  protected override layoutFound(layout: CsvLayout): void {
    this.writer.setLayout(layout);
  }

  protected override takeRecord(
    text: string,
    starts: Int32Array,
    ends: Int32Array,
    count: number,
    layout: CsvLayout,
    line: number,
  ): boolean {
    const parser = this.parser;
    this.writer.useSource(parser.source, parser.sourceNumber);
    return this.writer.addRecord(
      text,
      starts,
      ends,
      count,
      layout,
      parser.recordStart,
      parser.recordEnd,
      line,
    );
  }

  protected row(row: InventoryRow, line: number): void {
    this.writer.add(row, this.parser.recordStart, this.parser.recordEnd, line);
  }

  protected malformedRow(line: number, reason: string): void {
    this.writer.malformed(line, reason);
  }
}

export interface ReaderThreadInput {
  /** A file inventory (only files are read on the thread). */
  readonly source: InventorySource & { readonly path: string };
  readonly scanner: DriftScanner;
  readonly options: InventoryReadOptions;
  readonly pinnedSha256: readonly string[];
  readonly needsPlatform: boolean;
  readonly onMalformed: (file: string, line: number, reason: string) => void;
}

/**
 * Reads one CSV inventory file on a worker thread into the scanner. Resolves to undefined when
 * the file turns out not to be CSV (the caller reads it on this thread instead).
 */
export function readCsvOnThread(input: ReaderThreadInput): Promise<InputSummary | undefined> {
  const { source, scanner, options } = input;
  const reader = new RowBatchReader(scanner, source.name, options, input.pinnedSha256, input.onMalformed);
  const data: ReaderData = {
    tag: WORKER_TAG,
    path: source.path,
    name: source.name,
    readChunkBytes: source.readChunkBytes ?? defaults.inventoryReadChunkBytes,
    allowSpecialFiles: source.allowSpecialFiles === true,
    ...(source.bytesRead !== undefined ? { bytesRead: source.bytesRead } : {}),
    options,
    pinnedSha256: input.pinnedSha256,
    needsPlatform: input.needsPlatform,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    let settled = false;
    const settle = (error: unknown, summary?: InputSummary): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error === undefined) resolve(summary);
      else reject(error instanceof Error ? error : new Error(errorMessage(error)));
    };
    worker.on('message', (message: ReaderMessage) => {
      if (settled) return;
      try {
        switch (message.type) {
          case 'batch': {
            const { columns, text } = message.batch;
            reader.read(message.batch);
            // Acknowledged on the next turn of the event loop, not at once: a port handles up to
            // 1,000 messages in one go when more keep arriving, and a prompt ack would keep this
            // thread in that loop for minutes, with signals, timers and the launcher's channel
            // unanswered (a scan that does not stop, or stops only long after its launcher died).
            setImmediate(() => {
              if (!settled) worker.postMessage({ columns, text } satisfies AckMessage, [columns, text]);
            });
            break;
          }
          case 'end':
            settle(undefined, message.summary);
            break;
          case 'not-csv':
            settle(undefined);
            break;
          case 'error': {
            const error = message.error;
            settle(
              error.input
                ? new InputError(error.code, error.detail, error.location)
                : new Error(`reading ${source.name} failed: ${error.message}`),
            );
            break;
          }
        }
      } catch (error: unknown) {
        settle(error);
      }
    });
    worker.on('error', (error: Error) => {
      settle(error);
    });
    worker.on('exit', (code: number) => {
      settle(new Error(`the inventory reader thread stopped early (exit code ${code})`));
    });
  });
}
