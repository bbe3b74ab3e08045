import assert from 'node:assert/strict';
import { lpStream } from '@libp2p/utils';
import {
  HandlerError, NeighbourSet, RequestError, Status, decodeResponse, handle, nodeCounters, request
} from '../src/net/index.js';
import { makeNode, connect, stopAll, waitFor } from './net-helpers.js';
import type { NetNode, RequestErrorCode } from '../src/net/index.js';

const PROTO = '/splitedge/test-echo/1';
const enc = new TextEncoder();
const dec = new TextDecoder();

async function expectCode(p: Promise<unknown>, code: RequestErrorCode): Promise<RequestError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RequestError, `expected RequestError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected RequestError ${code}, request succeeded`);
}

function openStreams(node: NetNode, protocol: string): number {
  return node.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === protocol).length;
}

describe('net request/response (TCP loopback)', function () {
  const nodes: NetNode[] = [];
  let server: NetNode;
  let friend: NetNode;
  let stranger: NetNode;
  let calls: Array<{ req: string; from: string }>;

  beforeEach(async function () {
    server = await makeNode();
    friend = await makeNode();
    stranger = await makeNode();
    nodes.push(server, friend, stranger);
    calls = [];
    const neighbours = new NeighbourSet([{ peerId: friend.peerId, addrs: friend.getMultiaddrs() }]);
    await handle(
      server,
      PROTO,
      async (req, from, ctx) => {
        const text = dec.decode(req);
        calls.push({ req: text, from });
        if (text === 'slow') {
          // Only the server's deadline ends this.
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        }
        if (text === 'fail') throw new HandlerError('no such tariff');
        if (text === 'crash') throw new Error('secret internal detail');
        return enc.encode(`echo:${text}`);
      },
      { maxRequestBytes: 1024, allow: neighbours.allow, timeoutMs: 1_000 }
    );
    await connect(friend, server);
    await connect(stranger, server);
  });

  afterEach(async function () {
    await stopAll(nodes);
  });

  it('round-trips a request and passes the remote PeerId to the handler', async function () {
    const resp = await request(friend, server.peerId, PROTO, enc.encode('hello'), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(resp), 'echo:hello');
    assert.deepEqual(calls, [{ req: 'hello', from: friend.peerId.toString() }]);
    // Empty requests and responses are legal frames.
    const empty = await request(friend, server.peerId.toString(), PROTO, new Uint8Array(0), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(empty), 'echo:');
  });

  it("refuses a peer that allow() rejects without running the handler", async function () {
    await expectCode(request(stranger, server.peerId, PROTO, enc.encode('hi'), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'refused');
    assert.equal(calls.length, 0);
    assert.equal(nodeCounters(server).requestResponse[PROTO]?.inboundFailed, 1);
    // The neighbour is still served.
    const ok = await request(friend, server.peerId, PROTO, enc.encode('hi'), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(ok), 'echo:hi');
  });

  it('answers an oversized request with an error, closes the stream and keeps serving', async function () {
    await expectCode(request(friend, server.peerId, PROTO, new Uint8Array(200_000), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'oversize');
    assert.equal(calls.length, 0);
    await waitFor(() => openStreams(server, PROTO) === 0, 'server closes the oversized stream');
    // Same peer and another neighbour-less peer's refusal aside, service continues.
    const ok = await request(friend, server.peerId, PROTO, enc.encode('after'), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(ok), 'echo:after');
    assert.deepEqual(calls.map((c) => c.req), ['after']);
  });

  it('rejects a response larger than maxResponseBytes', async function () {
    await expectCode(request(friend, server.peerId, PROTO, enc.encode('0123456789'), { maxResponseBytes: 8, timeoutMs: 5_000 }), 'oversize');
  });

  it('closes a stream carrying a bad varint and keeps serving', async function () {
    const stream = await friend.dialProtocol(server.peerId, PROTO);
    // Eleven continuation bytes: never a valid length prefix.
    stream.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const closed = new Promise<void>((resolve) => stream.addEventListener('close', () => resolve(), { once: true }));
    const frame = await lpStream(stream).read();
    const decoded = decodeResponse(frame.subarray());
    assert.ok(!decoded.ok && decoded.status === Status.Malformed, JSON.stringify(decoded));
    // We never close our side: the server cuts the stream off by itself.
    await closed;
    assert.equal(calls.length, 0);
    const ok = await request(friend, server.peerId, PROTO, enc.encode('still'), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(ok), 'echo:still');
  });

  it('answers a truncated frame (stream ended early) as malformed', async function () {
    const stream = await friend.dialProtocol(server.peerId, PROTO);
    stream.send(new Uint8Array([100, 1, 2, 3])); // announces 100 bytes, sends 3
    await stream.close();
    const frame = await lpStream(stream).read();
    const decoded = decodeResponse(frame.subarray());
    assert.ok(!decoded.ok && decoded.status === Status.Malformed, JSON.stringify(decoded));
    await waitFor(() => openStreams(server, PROTO) === 0, 'server closes the truncated stream');
    assert.equal(calls.length, 0);
  });

  it('resets a peer that sends nothing once the server deadline passes', async function () {
    const stream = await friend.dialProtocol(server.peerId, PROTO);
    const closed = new Promise<string>((resolve) => stream.addEventListener('close', () => resolve(stream.status), { once: true }));
    assert.notEqual(await closed, 'open');
    assert.equal(calls.length, 0);
    assert.equal(nodeCounters(server).requestResponse[PROTO]?.inboundFailed, 1);
  });

  it('times out a slow handler on the requesting side', async function () {
    await expectCode(request(friend, server.peerId, PROTO, enc.encode('slow'), { maxResponseBytes: 1024, timeoutMs: 200 }), 'timeout');
    const ok = await request(friend, server.peerId, PROTO, enc.encode('fast'), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    assert.equal(dec.decode(ok), 'echo:fast');
  });

  it("reports the caller's abort as 'aborted'", async function () {
    const ac = new AbortController();
    const p = request(friend, server.peerId, PROTO, enc.encode('slow'), { maxResponseBytes: 1024, timeoutMs: 5_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expectCode(p, 'aborted');
  });

  it('sends HandlerError reasons but hides other handler failures', async function () {
    const e1 = await expectCode(request(friend, server.peerId, PROTO, enc.encode('fail'), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'remote');
    assert.match(e1.message, /no such tariff/);
    const e2 = await expectCode(request(friend, server.peerId, PROTO, enc.encode('crash'), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'remote');
    assert.doesNotMatch(e2.message, /secret/);
  });

  it("reports 'unsupported' for an unknown protocol", async function () {
    await expectCode(request(friend, server.peerId, '/splitedge/none/1', enc.encode('x'), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'unsupported');
  });

  it("reports 'unreachable' for a stopped peer", async function () {
    await stranger.stop();
    await expectCode(request(friend, stranger.peerId, PROTO, enc.encode('x'), { maxResponseBytes: 1024, timeoutMs: 5_000 }), 'unreachable');
  });

  it('counts exactly the messages and payload bytes exchanged', async function () {
    const sizes = [0, 5, 300];
    for (const n of sizes) {
      await request(friend, server.peerId, PROTO, new Uint8Array(n).fill(97), { maxResponseBytes: 1024, timeoutMs: 5_000 });
    }
    const sent = sizes.reduce((a, b) => a + b, 0);
    const answered = sizes.reduce((a, n) => a + n + 'echo:'.length, 0);
    assert.deepEqual(nodeCounters(friend).requestResponse[PROTO], {
      messagesIn: 3, messagesOut: 3, bytesIn: answered, bytesOut: sent, inboundFailed: 0, outboundFailed: 0
    });
    assert.deepEqual(nodeCounters(server).requestResponse[PROTO], {
      messagesIn: 3, messagesOut: 3, bytesIn: sent, bytesOut: answered, inboundFailed: 0, outboundFailed: 0
    });
  });
});
