import type { EvidenceValue } from '../findings.ts';
import type { AuthenticodeCode } from './codes.ts';

/** A reason a file or signature fails, before policy turns it into a Finding. */
export interface Problem {
  readonly code: AuthenticodeCode;
  readonly message: string;
  readonly evidence?: Readonly<Record<string, EvidenceValue>>;
  /** Trust problems (chain, time, pin) may be waived by a `signatures: any` policy; integrity problems never. */
  readonly trust?: boolean;
  /** Reported but not failing (non-strict mode). */
  readonly severity?: 'info';
}
