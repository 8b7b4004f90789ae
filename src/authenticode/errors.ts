import { RmmVerifyError, type RmmVerifyErrorOptions } from '../errors.ts';

export type AuthenticodeErrorCode = 'AUTHENTICODE_MALFORMED_FILE' | 'AUTHENTICODE_UNSUPPORTED_FILE';

/**
 * A PE or MSI file whose structure cannot be parsed (offsets outside the file, bad magic,
 * truncated headers). Always names the byte offset. Problems *inside* a signature are findings.
 */
export class AuthenticodeFormatError extends RmmVerifyError<AuthenticodeErrorCode> {
  constructor(
    message: string,
    options: RmmVerifyErrorOptions & { readonly code?: AuthenticodeErrorCode } = {},
  ) {
    const { code, ...rest } = options;
    super(code ?? 'AUTHENTICODE_MALFORMED_FILE', message, rest);
  }
}
