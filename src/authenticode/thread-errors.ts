import {
  InputError,
  RmmVerifyError,
  errorMessage,
  type ErrorLocation,
  type InputErrorCode,
} from '../errors.ts';
import { AuthenticodeFormatError, type AuthenticodeErrorCode } from './errors.ts';

/**
 * An error thrown on a verifier thread, as plain data for postMessage (structured clone drops
 * an error's class): the calling thread rebuilds it with the same class, code, location and
 * message, so a result verified on a worker is the one verified here.
 */
export type SerializedError =
  | {
      readonly kind: 'authenticode';
      readonly code: AuthenticodeErrorCode;
      readonly detail: string;
      readonly location: ErrorLocation;
    }
  | {
      readonly kind: 'input';
      readonly code: InputErrorCode;
      readonly detail: string;
      readonly location: ErrorLocation;
    }
  | { readonly kind: 'other'; readonly message: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AuthenticodeFormatError)
    return { kind: 'authenticode', code: error.code, detail: error.detail, location: error.location };
  if (error instanceof InputError)
    return { kind: 'input', code: error.code, detail: error.detail, location: error.location };
  return { kind: 'other', message: error instanceof RmmVerifyError ? error.message : errorMessage(error) };
}

/** The error the thread threw, rebuilt with the same class and message. */
export function deserializeError(error: SerializedError): Error {
  switch (error.kind) {
    case 'authenticode':
      return new AuthenticodeFormatError(error.detail, { ...error.location, code: error.code });
    case 'input':
      return new InputError(error.code, error.detail, error.location);
    case 'other':
      return new Error(error.message);
  }
}
