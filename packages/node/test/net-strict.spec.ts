/**
 * One strictness for request/response streams (docs/protocol.md, "Request/response framing"):
 * exactly one shortest-form length-prefixed frame each way, nothing after it, and every stream
 * the server turns away reported with its reason, so the agent can count and log it.
 */
import assert from 'node:assert/strict';
import { lpStream } from '@libp2p/utils';
import {
  HandlerError, PeerLogLimiter, RequestError, Status, decodeResponse, encodeLength, handle,
  lengthPrefixed, onInboundRejection, rejectionKind, rejectionRecorder, request
} from '../src/net/index.js';
import { connect, makeNode, stopAll, waitFor } from './net-helpers.js';
import type { InboundRejection, NetNode } from '../src/net/index.js';

const PROTO = '/splitedge/strict-test/1.0.0';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Send raw bytes on a fresh stream (closing our side if told to) and decode the one answer. */
async function raw(from: NetNode, to: NetNode, bytes: Uint8Array, close = true): Promise<ReturnType<typeof decodeResponse>> {
  const stream = await from.dialProtocol(to.peerId, PROTO);
  stream.send(bytes);
  if (close) await stream.close();
  const frame = await lpStream(stream).read();
  return decodeResponse(frame.subarray());
}

describe('net request/response: one strictness, every rejection reported', function () {
  const nodes: NetNode[] = [];
  let server: NetNode;
  let friend: NetNode;
  let stranger: NetNode;
  let calls: string[];
  let seen: InboundRejection[];

  beforeEach(async function () {
    server = await makeNode();
    friend = await makeNode();
    stranger = await makeNode();
    nodes.push(server, friend, stranger);
    calls = [];
    seen = [];
    onInboundRejection(server, (r) => seen.push(r));
    await handle(server, PROTO, async (req, _from, ctx) => {
      const text = dec.decode(req);
      calls.push(text);
      if (text === 'slow') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      if (text === 'fail') throw new HandlerError('no');
      return enc.encode(`echo:${text}`);
    }, { maxRequestBytes: 64, allow: (p) => p === friend.peerId.toString(), timeoutMs: 400 });
    await connect(friend, server);
    await connect(stranger, server);
  });

  afterEach(async function () {
    await stopAll(nodes);
  });

  const reasons = (): string[] => seen.map((r) => r.reason);

  it('encodes lengths in their shortest form', function () {
    assert.deepEqual([...encodeLength(0)], [0]);
    assert.deepEqual([...encodeLength(127)], [0x7f]);
    assert.deepEqual([...encodeLength(128)], [0x80, 0x01]);
    assert.deepEqual([...encodeLength(1024)], [0x80, 0x08]);
    assert.deepEqual([...lengthPrefixed(Uint8Array.from([7, 8]))], [2, 7, 8]);
    assert.throws(() => encodeLength(-1), RangeError);
  });

  it('answers a well-formed request and reports nothing', async function () {
    assert.equal(dec.decode(await request(friend, server.peerId, PROTO, enc.encode('hi'), { maxResponseBytes: 64, timeoutMs: 5_000 })), 'echo:hi');
    assert.deepEqual(seen, []);
  });

  it('refuses trailing bytes after the request frame without running the handler', async function () {
    const r = await raw(friend, server, Uint8Array.from([...lengthPrefixed(enc.encode('one')), 0x00, 0x01]));
    assert.ok(!r.ok && r.status === Status.Malformed, JSON.stringify(r));
    assert.match(r.reason, /2 bytes after the request frame/);
    assert.deepEqual(calls, []);
    await waitFor(() => reasons().includes('trailing-data'), 'trailing-data reported');
    assert.equal(seen[0]?.peer, friend.peerId.toString());
    assert.equal(seen[0]?.protocol, PROTO);
  });

  it('refuses a second request on the same stream', async function () {
    const two = Uint8Array.from([...lengthPrefixed(enc.encode('one')), ...lengthPrefixed(enc.encode('two'))]);
    const r = await raw(friend, server, two);
    assert.ok(!r.ok && r.status === Status.Malformed, JSON.stringify(r));
    assert.deepEqual(calls, [], 'neither request was handled');
    assert.deepEqual(reasons(), ['trailing-data']);
  });

  it('refuses a length prefix that is not in its shortest form', async function () {
    // 0x83 0x00 is 3 written in two bytes.
    const r = await raw(friend, server, Uint8Array.from([0x83, 0x00, 0x61, 0x62, 0x63]));
    assert.ok(!r.ok && r.status === Status.Malformed, JSON.stringify(r));
    assert.match(r.reason, /shortest form/);
    assert.deepEqual(reasons(), ['malformed']);
  });

  it('reports refused, oversize and malformed streams with their reasons', async function () {
    const refused = await raw(stranger, server, lengthPrefixed(enc.encode('hi')));
    assert.ok(!refused.ok && refused.status === Status.Refused);
    const oversize = await raw(friend, server, lengthPrefixed(new Uint8Array(65)));
    assert.ok(!oversize.ok && oversize.status === Status.Oversize);
    const truncated = await raw(friend, server, Uint8Array.from([10, 1, 2]));
    assert.ok(!truncated.ok && truncated.status === Status.Malformed);
    await waitFor(() => seen.length === 3, 'three rejections');
    assert.deepEqual(reasons(), ['refused', 'oversize', 'malformed']);
    assert.equal(seen[0]?.peer, stranger.peerId.toString());
  });

  it('reports a stream that stalls until the deadline, and a handler that overruns it, apart', async function () {
    const stream = await friend.dialProtocol(server.peerId, PROTO);
    stream.send(Uint8Array.from([5, 1])); // announces 5 bytes, sends 1, never closes
    await waitFor(() => reasons().includes('stalled'), 'stall reported', 100, 50);
    // A whole request whose requester never closes its side stalls too: the end never comes.
    const open = await friend.dialProtocol(server.peerId, PROTO);
    open.send(lengthPrefixed(enc.encode('x')));
    await waitFor(() => reasons().filter((r) => r === 'stalled').length === 2, 'second stall reported', 100, 50);
    assert.deepEqual(calls, []);
    await assert.rejects(request(friend, server.peerId, PROTO, enc.encode('slow'), { maxResponseBytes: 64, timeoutMs: 5_000 }), RequestError);
    await waitFor(() => reasons().includes('timeout'), 'handler overrun reported', 100, 50);
  });

  it('does not report a handler refusal (the handler counts its own)', async function () {
    await assert.rejects(request(friend, server.peerId, PROTO, enc.encode('fail'), { maxResponseBytes: 64, timeoutMs: 5_000 }), /remote: no/);
    assert.deepEqual(seen, []);
  });

  it('refuses, as the requester, bytes after the response frame', async function () {
    const bad = '/splitedge/strict-trailing/1.0.0';
    await server.handle(bad, async (stream) => {
      stream.send(Uint8Array.from([...lengthPrefixed(Uint8Array.from([Status.Ok, 0x41])), 0xff]));
      await stream.close();
    });
    await assert.rejects(request(friend, server.peerId, bad, enc.encode('q'), { maxResponseBytes: 64, timeoutMs: 5_000 }),
      (e: unknown) => e instanceof RequestError && e.code === 'protocol' && /1 bytes after the response frame/.test(e.message));
  });
});

describe('counting and logging inbound rejections', function () {
  it('names the kind after the protocol', function () {
    assert.equal(rejectionKind('/splitedge/border/1.0.0'), 'border-frame');
    assert.equal(rejectionKind('/splitedge/clearing-settle/1.0.0'), 'clearing-settle-frame');
    assert.equal(rejectionKind('odd'), 'odd-frame');
  });

  it('counts every rejection and logs at most one line per peer per window, then the number left out', function () {
    let now = 1_000;
    const counted: string[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const record = rejectionRecorder({ inc: (l) => counted.push(`${l.kind}/${l.reason}`) }, { warn: (o) => lines.push(o) }, { logEveryMs: 10_000, now: () => now });
    const fire = (peer: string, reason: InboundRejection['reason']): void => record({ protocol: '/splitedge/border/1.0.0', peer, reason, detail: 'd' });
    fire('p1', 'oversize');
    fire('p1', 'malformed');
    fire('p1', 'stalled');
    fire('p2', 'refused');
    now += 10_000;
    fire('p1', 'trailing-data');
    assert.deepEqual(counted, ['border-frame/oversize', 'border-frame/malformed', 'border-frame/stalled', 'border-frame/refused', 'border-frame/trailing-data']);
    assert.deepEqual(lines.map((l) => [l.peer, l.reason, l.suppressed]), [['p1', 'oversize', undefined], ['p2', 'refused', undefined], ['p1', 'trailing-data', 2]]);
  });

  it('forgets the oldest peer beyond its bound', function () {
    const gate = new PeerLogLimiter(10_000, 2, () => 0);
    assert.ok(gate.admit('a').log);
    assert.ok(gate.admit('b').log);
    assert.ok(!gate.admit('a').log);
    assert.ok(gate.admit('c').log); // 'a' is forgotten to make room
    assert.ok(gate.admit('a').log);
  });
});
