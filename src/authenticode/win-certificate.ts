import { defaults } from '../defaults.ts';
import { DerError, readNode } from './der.ts';
import type { Problem } from './problem.ts';

const WIN_CERT_REVISION_2_0 = 0x0200;
const WIN_CERT_REVISION_1_0 = 0x0100;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;

/** One WIN_CERTIFICATE (Authenticode PE spec: dwLength, wRevision, wCertificateType, bCertificate). */
export interface WinCertificate {
  readonly offset: number;
  readonly length: number;
  readonly revision: number;
  readonly type: number;
  /** The PKCS#7 DER exactly (without padding), when the entry holds one. */
  readonly blob: Uint8Array | undefined;
  readonly blobOffset: number;
}

const roundUp8 = (value: number): number => Math.ceil(value / 8) * 8;

/**
 * Walks the certificate table and applies the CVE-2013-3900 checks: the DER length of each
 * PKCS#7 is parsed, at most 7 zero bytes of padding may follow it, the rounded entry lengths
 * add up to the directory size, and the table ends the file.
 */
export function parseCertificateTable(
  table: Uint8Array,
  tableOffset: number,
  fileSize: number,
): { entries: WinCertificate[]; problems: Problem[] } {
  const entries: WinCertificate[] = [];
  const problems: Problem[] = [];
  const view = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  const tableEnd = tableOffset + table.length;
  if (tableEnd !== fileSize) {
    problems.push({
      code: 'AUTHENTICODE_DATA_AFTER_CERT_TABLE',
      message: `${fileSize - tableEnd} bytes after the certificate table (which ends at byte offset ${tableEnd} of ${fileSize})`,
      evidence: { offset: tableEnd, bytes: fileSize - tableEnd },
    });
  }
  if (tableOffset % 8 !== 0) {
    problems.push({
      code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
      message: `certificate table at byte offset ${tableOffset} is not 8-byte aligned`,
      evidence: { offset: tableOffset },
    });
  }
  let position = 0;
  while (position < table.length) {
    const at = tableOffset + position;
    if (entries.length >= defaults.maxCertificateEntries) {
      problems.push({
        code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
        message: `more than ${defaults.maxCertificateEntries} WIN_CERTIFICATE entries`,
        evidence: { offset: at },
      });
      break;
    }
    if (position + 8 > table.length) {
      problems.push({
        code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
        message: `${table.length - position} bytes at byte offset ${at} are too short for a WIN_CERTIFICATE header`,
        evidence: { offset: at },
      });
      break;
    }
    const length = view.readUInt32LE(position);
    const revision = view.readUInt16LE(position + 4);
    const type = view.readUInt16LE(position + 6);
    if (length < 8 || position + length > table.length) {
      problems.push({
        code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
        message: `WIN_CERTIFICATE at byte offset ${at} has dwLength ${length}, outside the ${table.length}-byte table`,
        evidence: { offset: at, length },
      });
      break;
    }
    let blob: Uint8Array | undefined;
    const blobOffset = at + 8;
    if (
      (revision !== WIN_CERT_REVISION_2_0 && revision !== WIN_CERT_REVISION_1_0) ||
      type !== WIN_CERT_TYPE_PKCS_SIGNED_DATA
    ) {
      problems.push({
        code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
        message: `WIN_CERTIFICATE at byte offset ${at} has revision 0x${revision.toString(16)} and type ${type}; expected 0x200 and 2 (PKCS#7 SignedData)`,
        evidence: { offset: at, revision, type },
      });
    } else {
      const body = table.subarray(position + 8, position + length);
      try {
        const node = readNode(body, 0, body.length, blobOffset);
        blob = body.subarray(0, node.end);
        // Bytes after the DER: the rest of dwLength plus alignment padding to the next entry.
        const paddedEnd = Math.min(position + roundUp8(length), table.length);
        const gap = table.subarray(position + 8 + node.end, paddedEnd);
        const nonZero = gap.findIndex((byte) => byte !== 0);
        if (gap.length > 7 || nonZero !== -1) {
          problems.push({
            code: 'AUTHENTICODE_TRAILING_DATA',
            message: `${gap.length} bytes after the PKCS#7 signature of entry ${entries.length} at byte offset ${blobOffset + node.end}${nonZero !== -1 ? `, first non-zero at byte offset ${blobOffset + node.end + nonZero}` : ''} (at most 7 zero bytes of padding are allowed)`,
            evidence: { offset: blobOffset + node.end, bytes: gap.length, nonZero: nonZero !== -1 },
          });
        }
      } catch (error: unknown) {
        if (!(error instanceof DerError)) throw error;
        problems.push({
          code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
          message: `entry ${entries.length}: ${error.message}`,
          evidence: { offset: error.offset },
        });
      }
    }
    entries.push({ offset: at, length, revision, type, blob, blobOffset });
    position += roundUp8(length);
  }
  if (position !== table.length && !problems.some((p) => p.code === 'AUTHENTICODE_CERT_TABLE_INCONSISTENT')) {
    problems.push({
      code: 'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
      message: `WIN_CERTIFICATE entries rounded to 8 bytes add up to ${position} bytes, the directory says ${table.length}`,
      evidence: { offset: tableOffset, entries: position, directory: table.length },
    });
  }
  return { entries, problems };
}
