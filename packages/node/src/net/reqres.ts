/**
 * One-shot request/response protocols over libp2p streams: one request frame
 * and one response frame per stream (wire format in frame.ts).
 */
import { peerIdFromString } from '@libp2p/peer-id';
import type { Refusals } from '@splitedge/wire';
import { byteStream } from '@libp2p/utils';
import { rrCounter, type RequestResponseCounter } from './counters.js';
import { HandlerError, RequestError } from './errors.js';
import { MAX_VARINT_BYTES, Status, decodeResponse, encodeError, encodeOk, lengthPrefixed } from './frame.js';
import type { RequestErrorCode } from './errors.js';
import type { DecodedResponse, StatusCode } from './frame.js';
import type { ByteStream } from '@libp2p/utils';
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

/**
 * Why a server turned a stream away before or instead of its handler's answer: the `reason` of
 * an inbound rejection. Handler refusals (ERROR frames) are reported by the handlers themselves.
 */
export type InboundRejectionReason = Refusals<
  /** allow() refused the peer: REFUSED. */
  | 'refused'
  /** The length prefix announced more than maxRequestBytes: OVERSIZE. */
  | 'oversize'
  /** A bad or non-minimal length prefix, or the stream ended inside the frame: MALFORMED. */
  | 'malformed'
  /** Bytes after the request frame (trailing data, a second request): MALFORMED. */
  | 'trailing-data'
  /** The deadline passed before the whole request (and the end of the stream) arrived: reset. */
  | 'stalled'
  /** The deadline passed while the handler ran or the response was written: reset. */
  | 'timeout'>;

export interface InboundRejection {
  protocol: string;
  peer: string;
  reason: InboundRejectionReason;
  /** What exactly was wrong, for a log line. */
  detail: string;
}

export type RejectionListener = (rejection: InboundRejection) => void;

const rejectionListeners = new WeakMap<Libp2p, Set<RejectionListener>>();

/** Be told of every inbound stream a `handle`d protocol of `node` rejects. Returns an unsubscribe. */
export function onInboundRejection(node: Libp2p, listener: RejectionListener): () => void {
  let set = rejectionListeners.get(node);
  if (set === undefined) {
    set = new Set();
    rejectionListeners.set(node, set);
  }
  set.add(listener);
  return () => { set.delete(listener); };
}

function emitRejection(node: Libp2p, rejection: InboundRejection): void {
  for (const listener of rejectionListeners.get(node) ?? []) {
    try {
      listener(rejection);
    } catch {
      // A failing listener must not break the protocol.
    }
  }
}

type FrameRead =
  | { ok: true; frame: Uint8Array }
  | { ok: false; problem: 'oversize' | 'malformed' | 'eof'; detail: string };

/** Exactly `n` bytes, or null if the stream ended first. Resets and the deadline throw. */
async function readExactly(bytes: ByteStream<Stream>, n: number, signal: AbortSignal): Promise<Uint8Array | null> {
  try {
    const list = await bytes.read({ bytes: n, signal });
    return list === null ? null : list.subarray();
  } catch (err) {
    if (errorName(err) === 'UnexpectedEOFError') return null;
    throw err;
  }
}

/**
 * Reads one frame: a shortest-form varint length (at most MAX_VARINT_BYTES) and that many bytes.
 * Refuses a length over `max` from the prefix alone, before reading the body.
 */
async function readFrame(bytes: ByteStream<Stream>, max: number, signal: AbortSignal): Promise<FrameRead> {
  let length = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (i >= MAX_VARINT_BYTES) return { ok: false, problem: 'malformed', detail: `length prefix longer than ${MAX_VARINT_BYTES} bytes` };
    const b = (await readExactly(bytes, 1, signal))?.[0];
    if (b === undefined) {
      return { ok: false, problem: i === 0 ? 'eof' : 'malformed', detail: 'stream ended inside the length prefix' };
    }
    if (i > 0 && b === 0) return { ok: false, problem: 'malformed', detail: 'length prefix not in its shortest form' };
    length += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) break;
  }
  if (length > max) return { ok: false, problem: 'oversize', detail: `frame of ${length} bytes over the limit of ${max}` };
  const frame = await readExactly(bytes, length, signal);
  if (frame === null) return { ok: false, problem: 'malformed', detail: `stream ended before the ${length} bytes of the frame` };
  return { ok: true, frame: frame.slice() };
}

/** Waits for the end of the peer's side of the stream; the number of bytes that came first. */
async function bytesBeforeEnd(bytes: ByteStream<Stream>, signal: AbortSignal): Promise<number> {
  const rest = await bytes.read({ signal });
  return rest === null ? 0 : rest.byteLength;
}

/** Writes one frame and waits until the transport took it. */
async function writeFrame(stream: Stream, payload: Uint8Array, signal: AbortSignal): Promise<void> {
  const out = byteStream(stream);
  try {
    await out.write(lengthPrefixed(payload), { signal });
  } finally {
    out.unwrap();
  }
}

const protocolPart = (protocol: string): string => protocol.split('/')[2] ?? protocol;

/** What serving one protocol needs, shared by every inbound stream of it. */
interface Serving {
  protocol: string;
  handler: RequestHandler;
  opts: HandleOptions;
  counter: RequestResponseCounter;
  reject: (peer: string, reason: InboundRejectionReason, detail: string) => void;
}

export async function handle(
  node: Libp2p,
  protocol: string,
  handler: RequestHandler,
  opts: HandleOptions
): Promise<void> {
  if (!(opts.maxRequestBytes >= 0 && opts.timeoutMs > 0)) throw new RangeError('invalid handle options');
  const s: Serving = {
    protocol, handler, opts,
    counter: rrCounter(node, protocol),
    reject: (peer, reason, detail) => { emitRejection(node, { protocol, peer, reason, detail }); }
  };
  await node.handle(protocol, async (stream: Stream, connection: Connection) => { await serveStream(s, stream, connection); },
    { maxInboundStreams: opts.maxInboundStreams ?? 32 });
}

/** One inbound stream: a deadline over the whole exchange, and a rejection recorded for each way it fails. */
async function serveStream(s: Serving, stream: Stream, connection: Connection): Promise<void> {
  const remote = connection.remotePeer.toString();
  const signal = AbortSignal.timeout(s.opts.timeoutMs);
  const phase = { reading: true };
  let ok = false;
  try {
    ok = await serve(s, stream, remote, signal, phase);
  } catch (err) {
    // Timeout, reset by the peer, or a write that could not complete.
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    if (signal.aborted) {
      s.reject(remote, phase.reading ? 'stalled' : 'timeout',
        `${phase.reading ? 'request incomplete' : 'no response written'} after ${s.opts.timeoutMs} ms`);
    } else if (errorName(err) === 'StreamBufferError') {
      s.reject(remote, 'trailing-data', 'more data than a request frame may hold');
    }
  }
  if (!ok) s.counter.inboundFailed++;
}

/** Returns true when a response was sent, false when an error frame was. */
async function serve(s: Serving, stream: Stream, remote: string, signal: AbortSignal, phase: { reading: boolean }): Promise<boolean> {
  const request = await readRequest(s, stream, remote, signal);
  if (request === undefined) return false;
  phase.reading = false;
  s.counter.messagesIn++;
  s.counter.bytesIn += request.length;
  let response: Uint8Array;
  try {
    response = await s.handler(request, remote, { signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    await replyError(stream, Status.Error, err instanceof HandlerError ? err.message : 'internal error', signal);
    return false;
  }
  if (signal.aborted) throw signal.reason;
  await writeFrame(stream, encodeOk(response), signal);
  s.counter.messagesOut++;
  s.counter.bytesOut += response.length;
  await stream.close({ signal });
  return true;
}

/** The one request frame of a stream, or undefined once the peer has been answered with an error frame. */
async function readRequest(s: Serving, stream: Stream, remote: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const { opts } = s;
  if (!opts.allow(remote)) {
    s.reject(remote, 'refused', `${protocolPart(s.protocol)} is not offered to this peer`);
    await replyError(stream, Status.Refused, 'not allowed', signal);
    return undefined;
  }
  const bytes = byteStream(stream, { maxBufferSize: Math.max(MIN_BUFFER, opts.maxRequestBytes + FRAME_OVERHEAD) });
  const read = await readFrame(bytes, opts.maxRequestBytes, signal);
  let refusal: { status: typeof Status.Oversize | typeof Status.Malformed; reason: InboundRejectionReason; detail: string } | undefined;
  if (!read.ok) {
    refusal = read.problem === 'oversize'
      ? { status: Status.Oversize, reason: 'oversize', detail: read.detail }
      : { status: Status.Malformed, reason: 'malformed', detail: read.detail };
  } else {
    // One request per stream: the requester's side must end right after its frame.
    const extra = await bytesBeforeEnd(bytes, signal);
    if (extra > 0) refusal = { status: Status.Malformed, reason: 'trailing-data', detail: `${extra} bytes after the request frame` };
  }
  bytes.unwrap();
  if (refusal === undefined && read.ok) return read.frame;
  const r = refusal ?? { status: Status.Malformed, reason: 'malformed' as const, detail: 'no request frame' };
  s.reject(remote, r.reason, r.detail);
  await replyError(stream, r.status, r.status === Status.Oversize ? `request over ${opts.maxRequestBytes} bytes` : `malformed request frame: ${r.detail}`, signal);
  return undefined;
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
  await writeFrame(stream, encodeError(status, reason), signal);
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
  payload: Uint8Array,
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

  const bytes = byteStream(stream, { maxBufferSize: Math.max(MIN_BUFFER, opts.maxResponseBytes + FRAME_OVERHEAD) });
  // Read while writing: a server that refuses us or finds the request too
  // large answers before it has read it, and may reset the stream after.
  const reading = readFrame(bytes, opts.maxResponseBytes + 1, signal);
  reading.catch(() => {});
  try {
    await writeFrame(stream, payload, signal);
    counter.messagesOut++;
    counter.bytesOut += payload.length;
    await stream.close({ signal });
  } catch {
    // The response (or its absence) says what went wrong.
  }

  let frame: Uint8Array;
  try {
    const read = await reading;
    if (!read.ok) {
      if (read.problem === 'oversize') throw new RequestError('oversize', `response over ${opts.maxResponseBytes} bytes`);
      if (read.problem === 'eof') throw new RequestError('closed', 'no response: the stream ended');
      throw new RequestError('protocol', `malformed response frame: ${read.detail}`);
    }
    frame = read.frame;
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw fail('closed', err, 'no response');
  }

  const decoded = decodeResponse(frame);
  if (decoded.ok) {
    // The same strictness as the server's: nothing may follow the response frame.
    let extra: number;
    try {
      extra = await bytesBeforeEnd(bytes, signal);
    } catch (err) {
      throw fail('closed', err, 'stream reset after the response');
    }
    if (extra > 0) throw new RequestError('protocol', `${extra} bytes after the response frame`);
    return decoded.body;
  }
  stream.abort(new Error('error response'));
  throw errorOf(decoded);
}

/** The RequestError an error response frame stands for. */
function errorOf(decoded: Exclude<DecodedResponse, { ok: true }>): RequestError {
  switch (decoded.status) {
    case Status.Refused:
      return new RequestError('refused', decoded.reason);
    case Status.Oversize:
      return new RequestError('oversize', `peer: ${decoded.reason}`);
    case Status.Malformed:
      return new RequestError('protocol', `peer: ${decoded.reason}`);
    case Status.Error:
      return new RequestError('remote', decoded.reason);
    default:
      return new RequestError('protocol', decoded.reason);
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
