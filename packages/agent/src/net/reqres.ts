/**
 * One-shot request/response protocols over libp2p streams: one request frame
 * and one response frame per stream (wire format in frame.ts).
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { rrCounter } from './counters.js';
import { HandlerError, RequestError } from './errors.js';
import { MAX_VARINT_BYTES, Status, decodeLength, decodeResponse, encodeError, encodeOk } from './frame.js';
import type { RequestErrorCode } from './errors.js';
import type { StatusCode } from './frame.js';
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';

export interface HandlerContext {
  /** Fires when the server-side deadline passes; the stream is then reset and any response discarded. */
  signal: AbortSignal;
}

export type RequestHandler = (
  request: Uint8Array,
  remotePeerId: string,
  ctx: HandlerContext
) => Uint8Array | Promise<Uint8Array>;

export interface HandleOptions {
  /** Largest request accepted; a longer length prefix gets an OVERSIZE frame without the body being read. */
  maxRequestBytes: number;
  /** Decides per remote PeerId (string) whether the handler may run at all. */
  allow: (remotePeerId: string) => boolean;
  /** Deadline in ms for reading the request, running the handler and writing the response. */
  timeoutMs: number;
  /** Concurrent inbound streams of this protocol per connection. @default 32 */
  maxInboundStreams?: number;
}

export interface RequestOptions {
  /** Largest response body accepted; a longer one fails with 'oversize'. */
  maxResponseBytes: number;
  /** Deadline in ms for dialling, sending and receiving. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Remote bytes we may still have to discard after an error frame. */
const DRAIN_GRACE_MS = 1_000;
/** byteStream buffers this much by default; raise it when a frame limit is larger. */
const MIN_BUFFER = 4 * 1024 * 1024;
/** Varint length prefix (max 10 bytes for 64-bit values) plus status byte. */
const FRAME_OVERHEAD = 16;

export async function handle(
  node: Libp2p,
  protocol: string,
  handler: RequestHandler,
  opts: HandleOptions
): Promise<void> {
  if (!(opts.maxRequestBytes >= 0 && opts.timeoutMs > 0)) throw new RangeError('invalid handle options');
  const counter = rrCounter(node, protocol);
  await node.handle(
    protocol,
    async (stream: Stream, connection: Connection) => {
      const remote = connection.remotePeer.toString();
      const signal = AbortSignal.timeout(opts.timeoutMs);
      let ok = false;
      try {
        ok = await serve(stream, remote, signal);
      } catch (err) {
        // Timeout, reset by the peer, or a write that could not complete.
        stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
      if (!ok) counter.inboundFailed++;
    },
    { maxInboundStreams: opts.maxInboundStreams ?? 32 }
  );

  /** Returns true when a response was sent, false when an error frame was. */
  async function serve(stream: Stream, remote: string, signal: AbortSignal): Promise<boolean> {
    if (!opts.allow(remote)) {
      await replyError(stream, Status.Refused, 'not allowed', signal);
      return false;
    }
    const lp = lpStream(stream, {
      maxDataLength: opts.maxRequestBytes,
      // Fixed, not derived from maxDataLength, so that a well-formed but too
      // large length reads as OVERSIZE rather than as a malformed varint.
      maxLengthLength: MAX_VARINT_BYTES,
      lengthDecoder: decodeLength,
      maxBufferSize: Math.max(MIN_BUFFER, opts.maxRequestBytes + FRAME_OVERHEAD)
    });
    let request: Uint8Array;
    try {
      request = (await lp.read({ signal })).subarray();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const status = errorName(err) === 'InvalidDataLengthError' ? Status.Oversize : Status.Malformed;
      if (stream.status !== 'open') throw err; // reset by the peer: nobody to answer
      lp.unwrap();
      await replyError(stream, status, status === Status.Oversize ? `request over ${opts.maxRequestBytes} bytes` : 'malformed request frame', signal);
      return false;
    }
    counter.messagesIn++;
    counter.bytesIn += request.length;

    let response: Uint8Array;
    try {
      response = await handler(request, remote, { signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      lp.unwrap();
      await replyError(stream, Status.Error, err instanceof HandlerError ? err.message : 'internal error', signal);
      return false;
    }
    if (signal.aborted) throw signal.reason;
    await lp.write(encodeOk(response), { signal });
    counter.messagesOut++;
    counter.bytesOut += response.length;
    await stream.close({ signal });
    return true;
  }
}

export async function unhandle(node: Libp2p, protocol: string): Promise<void> {
  await node.unhandle(protocol);
}

/** Sends an error frame, closes our side, and discards what the peer still sends. */
async function replyError(
  stream: Stream,
  status: Exclude<StatusCode, typeof Status.Ok>,
  reason: string,
  signal: AbortSignal
): Promise<void> {
  // Discard anything unread (the refused or oversize request) instead of buffering it.
  stream.addEventListener('message', discard);
  const lp = lpStream(stream);
  await lp.write(encodeError(status, reason), { signal });
  lp.unwrap();
  await stream.close({ signal });
  // A peer that keeps the stream half-open after our reply is cut off.
  if (stream.status !== 'closed') {
    const timer = setTimeout(() => stream.abort(new Error('peer did not close after error reply')), DRAIN_GRACE_MS);
    timer.unref();
    stream.addEventListener('close', () => clearTimeout(timer), { once: true });
  }
}

function discard(): void {}

/**
 * Sends one request and waits for its response. Rejects only with RequestError.
 */
export async function request(
  node: Libp2p,
  peer: PeerId | string,
  protocol: string,
  bytes: Uint8Array,
  opts: RequestOptions
): Promise<Uint8Array> {
  const counter = rrCounter(node, protocol);
  try {
    const body = await exchange(node, peer, protocol, bytes, opts, counter);
    counter.messagesIn++;
    counter.bytesIn += body.length;
    return body;
  } catch (err) {
    counter.outboundFailed++;
    throw err;
  }
}

async function exchange(
  node: Libp2p,
  peer: PeerId | string,
  protocol: string,
  bytes: Uint8Array,
  opts: RequestOptions,
  counter: { messagesOut: number; bytesOut: number }
): Promise<Uint8Array> {
  const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer;
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal === undefined ? deadline : AbortSignal.any([deadline, opts.signal]);
  const fail = (fallback: RequestErrorCode, err: unknown, what: string): RequestError => {
    if (err instanceof RequestError) return err;
    if (deadline.aborted) return new RequestError('timeout', `${what} after ${opts.timeoutMs} ms`, { cause: err });
    if (opts.signal?.aborted === true) return new RequestError('aborted', what, { cause: err });
    return new RequestError(fallback, `${what}: ${errorMessage(err)}`, { cause: err });
  };

  let stream: Stream;
  try {
    stream = await node.dialProtocol(peerId, protocol, { signal });
  } catch (err) {
    throw fail(errorName(err) === 'UnsupportedProtocolError' ? 'unsupported' : 'unreachable', err, 'open stream');
  }

  const lp = lpStream(stream, {
    maxDataLength: opts.maxResponseBytes + 1,
    maxLengthLength: MAX_VARINT_BYTES,
    lengthDecoder: decodeLength,
    maxBufferSize: Math.max(MIN_BUFFER, opts.maxResponseBytes + FRAME_OVERHEAD)
  });
  // Read while writing: a server that refuses us or finds the request too
  // large answers before it has read it, and may reset the stream after.
  const reading = lp.read({ signal });
  reading.catch(() => {});
  try {
    await lp.write(bytes, { signal });
    counter.messagesOut++;
    counter.bytesOut += bytes.length;
    await stream.close({ signal });
  } catch {
    // The response (or its absence) says what went wrong.
  }

  let frame: Uint8Array;
  try {
    frame = (await reading).subarray();
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    const name = errorName(err);
    if (name === 'InvalidDataLengthError') {
      throw new RequestError('oversize', `response over ${opts.maxResponseBytes} bytes`, { cause: err });
    }
    if (name === 'MalformedLengthError' || name === 'InvalidDataLengthLengthError' || name === 'InvalidMessageLengthError') {
      throw fail('protocol', err, 'malformed response frame');
    }
    throw fail('closed', err, 'no response');
  }

  const decoded = decodeResponse(frame);
  if (decoded.ok) return decoded.body;
  stream.abort(new Error('error response'));
  switch (decoded.status) {
    case Status.Refused:
      throw new RequestError('refused', decoded.reason);
    case Status.Oversize:
      throw new RequestError('oversize', `peer: ${decoded.reason}`);
    case Status.Malformed:
      throw new RequestError('protocol', `peer: ${decoded.reason}`);
    case Status.Error:
      throw new RequestError('remote', decoded.reason);
    default:
      throw new RequestError('protocol', decoded.reason);
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
