import type { Refusals } from '@splitedge/wire';
/**
 * Typed errors of the request/response helper. Callers branch on `code`,
 * never on message text.
 */

export type RequestErrorCode = Refusals<
  /** The deadline (timeoutMs) passed before a whole response arrived. */
  | 'timeout'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** No connection to the peer could be made. */
  | 'unreachable'
  /** The peer does not speak this protocol. */
  | 'unsupported'
  /** The peer's allow() refused us. */
  | 'refused'
  /** The request exceeded the peer's maxRequestBytes, or the response exceeded our maxResponseBytes. */
  | 'oversize'
  /** The peer's handler failed; the message carries its reason. */
  | 'remote'
  /** The stream closed or was reset before a whole response arrived. */
  | 'closed'
  /** A malformed frame in either direction (bad varint, unknown status, the peer reports our frame malformed). */
  | 'protocol'>;

export class RequestError extends Error {
  static readonly codes: readonly RequestErrorCode[] = [
    'timeout', 'aborted', 'unreachable', 'unsupported', 'refused', 'oversize', 'remote', 'closed', 'protocol'
  ];

  override readonly name = 'RequestError';

  constructor(
    readonly code: RequestErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`${code}: ${message}`, options);
  }
}

/**
 * Thrown by a request handler to answer with an ERROR frame carrying this
 * reason. Any other exception answers "internal error", so internal details
 * never leak to the peer.
 */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
}

export function isRequestError(err: unknown, code?: RequestErrorCode): err is RequestError {
  return err instanceof RequestError && (code === undefined || err.code === code);
}
