import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { validateTopicScoreParams } from '@libp2p/gossipsub/score';
import {
  MAX_REASON_BYTES, MalformedLengthError, NeighbourSet, Status, TOPIC_SCORE_PARAMS, backoffDelay,
  createNode, decodeLength, decodeResponse, encodeError, encodeOk
} from '../src/net/index.js';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function list(bytes: number[]): { byteLength: number; get(i: number): number } {
  return { byteLength: bytes.length, get: (i) => bytes[i] ?? 0 };
}

describe('net pure parts', function () {
  it('backoff stays within [capped * (1 - jitter), capped] and never exceeds maxMs', function () {
    fc.assert(fc.property(
      fc.nat(2000), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 100_000 }),
      fc.double({ min: 1, max: 4, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }),
      (attempt, baseMs, extra, factor, jitter, r) => {
        const opts = { baseMs, maxMs: baseMs + extra, factor, jitter };
        const d = backoffDelay(attempt, opts, () => r);
        const capped = baseMs === 0 ? 0 : Math.min(opts.maxMs, baseMs * Math.pow(factor, attempt));
        assert.ok(d <= Math.ceil(capped) && d >= Math.floor(capped * (1 - jitter)) && d <= opts.maxMs, `${d} vs ${capped}`);
      }
    ), { numRuns: 500 });
    assert.equal(backoffDelay(1e6, { baseMs: 1, maxMs: 60_000, factor: 2, jitter: 0 }, Math.random), 60_000);
    assert.throws(() => backoffDelay(0, { baseMs: 10, maxMs: 5, factor: 2, jitter: 0 }, Math.random), RangeError);
  });

  it('response frames round-trip and unknown statuses are invalid', function () {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
      const d = decodeResponse(encodeOk(body));
      assert.ok(d.ok);
      assert.deepEqual(d.body, body);
    }));
    const e = decodeResponse(encodeError(Status.Refused, 'x'.repeat(1000)));
    assert.ok(!e.ok && e.status === Status.Refused && e.reason.length === MAX_REASON_BYTES);
    assert.deepEqual(decodeResponse(new Uint8Array([]))?.ok, false);
    const u = decodeResponse(new Uint8Array([9, 1]));
    assert.ok(!u.ok && u.status === 'invalid');
  });

  it('length prefixes decode like unsigned varints and give up after 9 bytes', function () {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      assert.equal(decodeLength(list(varint(n))), n);
      // Any strict prefix is incomplete, not malformed.
      const v = varint(n);
      if (v.length > 1) assert.throws(() => decodeLength(list(v.slice(0, -1))), RangeError);
    }));
    assert.throws(() => decodeLength(list(new Array(9).fill(0xff))), MalformedLengthError);
    assert.throws(() => decodeLength(list(new Array(12).fill(0x80))), MalformedLengthError);
  });

  it('topic score parameters are valid for gossipsub and penalise invalid messages', function () {
    validateTopicScoreParams(TOPIC_SCORE_PARAMS);
    assert.ok(TOPIC_SCORE_PARAMS.invalidMessageDeliveriesWeight < 0);
  });

  it('neighbour sets parse config, merge duplicates and answer allow()', async function () {
    const a = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    const b = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    const set = NeighbourSet.fromConfig([
      { peerId: a.toString(), addrs: ['/ip4/127.0.0.1/tcp/4001'] },
      { peerId: a.toString(), addrs: ['/ip4/127.0.0.1/tcp/4002'] }
    ]);
    assert.equal(set.size, 1);
    assert.deepEqual(set.get(a)?.addrs.map(String), ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002']);
    assert.equal(set.allow(a.toString()), true);
    assert.equal(set.allow(b.toString()), false);
    assert.throws(() => NeighbourSet.fromConfig([{ peerId: 'not-a-peer-id', addrs: [] }]));
  });

  it('createNode insists on an Ed25519 identity', async function () {
    const key = await generateKeyPair('secp256k1');
    await assert.rejects(createNode({ privateKey: key, listen: [] }), TypeError);
  });
});
