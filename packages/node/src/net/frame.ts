/**
 * Response frame body of the request/response protocols (pure, no I/O).
 *
 * On the wire each stream carries exactly one request frame and one
 * response frame, each an unsigned-varint length prefix followed by that
 * many bytes:
 *
 *   request  := varint(len) request-bytes            (len <= server's maxRequestBytes)
 *   response := varint(len) status(1 byte) body      (len <= 1 + client's maxResponseBytes)
 *
 * varint is an unsigned LEB128 in its shortest form, at most MAX_VARINT_BYTES long. The
 * requester closes its write side right after the request frame; bytes after it (trailing data,
 * a second request) get a MALFORMED answer and the handler never runs. The responder closes its
 * write side right after the response frame.
 *
 * status  body
 *   0 OK         the handler's response bytes
 *   1 ERROR      UTF-8 reason: the handler failed (HandlerError text, else "internal error")
 *   2 REFUSED    UTF-8 reason: the server's allow() refused this peer; the request is not read
 *   3 OVERSIZE   UTF-8 reason: the request's length prefix exceeded maxRequestBytes
 *   4 MALFORMED  UTF-8 reason: bad varint, the stream ended before a whole request frame, or
 *                bytes followed the request frame
 *
 * Any other status, or an empty response frame, is a protocol error. After
 * an error frame the server closes its side and discards whatever the client
 * still sends. A server that times out resets the stream instead of replying.
 */

export const Status = {
  Ok: 0,
  Error: 1,
  Refused: 2,
  Oversize: 3,
  Malformed: 4
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

/** Error reasons are informative only; keep them short so they never approach a frame limit. */
export const MAX_REASON_BYTES = 256;

export type DecodedResponse =
  | { ok: true; body: Uint8Array }
  | { ok: false; status: StatusCode; reason: string }
  | { ok: false; status: 'invalid'; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function encodeOk(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = Status.Ok;
  out.set(body, 1);
  return out;
}

export function encodeError(status: Exclude<StatusCode, typeof Status.Ok>, reason: string): Uint8Array {
  let text = encoder.encode(reason);
  if (text.length > MAX_REASON_BYTES) text = text.subarray(0, MAX_REASON_BYTES);
  const out = new Uint8Array(text.length + 1);
  out[0] = status;
  out.set(text, 1);
  return out;
}

export function decodeResponse(frame: Uint8Array): DecodedResponse {
  const status = frame[0];
  if (status === undefined) return { ok: false, status: 'invalid', reason: 'empty response frame' };
  const body = frame.subarray(1);
  switch (status) {
    case Status.Ok:
      return { ok: true, body };
    case Status.Error:
    case Status.Refused:
    case Status.Oversize:
    case Status.Malformed:
      return { ok: false, status, reason: decoder.decode(body.subarray(0, MAX_REASON_BYTES)) };
    default:
      return { ok: false, status: 'invalid', reason: `unknown response status ${status}` };
  }
}

/** Longest length prefix accepted: 9 varint bytes encode up to 2^63. */
export const MAX_VARINT_BYTES = 9;

/** A length prefix that can never become valid (too many continuation bytes). */
export class MalformedLengthError extends Error {
  override readonly name = 'MalformedLengthError';
}

/**
 * Length-prefix decoder for lpStream. lpStream reads one more byte whenever
 * the decoder throws RangeError; its own decoder does so forever on a run of
 * continuation bytes, so a peer could hold a stream open without ever
 * completing a length. This one gives up after MAX_VARINT_BYTES.
 */
export function decodeLength(buf: { byteLength: number; get(index: number): number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < buf.byteLength; i++) {
    if (i >= MAX_VARINT_BYTES) throw new MalformedLengthError(`length prefix longer than ${MAX_VARINT_BYTES} bytes`);
    const b = buf.get(i);
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  if (buf.byteLength >= MAX_VARINT_BYTES) throw new MalformedLengthError(`length prefix longer than ${MAX_VARINT_BYTES} bytes`);
  throw new RangeError('incomplete length prefix');
}

/** The shortest unsigned LEB128 encoding of `n` (a frame length). */
export function encodeLength(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a frame length: ${n}`);
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** `payload` behind its length prefix: one whole frame as it goes on the wire. */
export function lengthPrefixed(payload: Uint8Array): Uint8Array {
  const prefix = encodeLength(payload.length);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}
