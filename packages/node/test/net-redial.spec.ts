import assert from 'node:assert/strict';
import { multiaddr } from '@multiformats/multiaddr';
import { NeighbourSet, Redialer } from '../src/net/index.js';
import { FakeClock, makeNode, newKey, stopAll, waitFor } from './net-helpers.js';
import type { NetNode, RedialerEventDetail } from '../src/net/index.js';

describe('net redialer', function () {
  const nodes: NetNode[] = [];
  const redialers: Redialer[] = [];

  afterEach(async function () {
    await Promise.all(redialers.splice(0).map(async (r) => r.stop()));
    await stopAll(nodes);
  });

  it('dials neighbours at start and reconnects after the remote restarts on the same port and key', async function () {
    const remoteKey = await newKey();
    let remote = await makeNode({ privateKey: remoteKey });
    const local = await makeNode();
    nodes.push(remote, local);
    const addr = remote.getMultiaddrs()[0];
    assert.ok(addr !== undefined);
    const port = /\/tcp\/(\d+)/.exec(addr.toString())?.[1];
    assert.ok(port !== undefined);

    const neighbours = new NeighbourSet([{ peerId: remote.peerId, addrs: [addr] }]);
    const redialer = new Redialer(local, neighbours, { backoff: { baseMs: 50, maxMs: 200 } });
    redialers.push(redialer);
    const events: string[] = [];
    redialer.on('connect', (d) => events.push(`connect:${d.peerId}`));
    redialer.on('disconnect', (d) => events.push(`disconnect:${d.peerId}`));
    await redialer.start();
    const id = remote.peerId.toString();
    await waitFor(() => events.length === 1, 'first connect');
    assert.deepEqual(events, [`connect:${id}`]);
    assert.deepEqual(redialer.connected(), [id]);

    await remote.stop();
    await waitFor(() => events.length === 2, 'disconnect');
    assert.equal(events[1], `disconnect:${id}`);

    // Restart on the same port with the same key, as an agent restart would.
    remote = await makeNode({ privateKey: remoteKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    nodes.push(remote);
    await waitFor(() => events.length === 3, 'reconnect', 200);
    assert.deepEqual(events, [`connect:${id}`, `disconnect:${id}`, `connect:${id}`]);
    assert.deepEqual(redialer.connected(), [id]);
  });

  it('backs off exponentially up to the cap while a neighbour is unreachable, and stops cleanly', async function () {
    const local = await makeNode();
    nodes.push(local);
    const ghost = await newKey();
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id');
    // Nothing listens there: every dial fails fast with connection refused.
    const neighbours = new NeighbourSet([{ peerId: peerIdFromPrivateKey(ghost), addrs: [multiaddr('/ip4/127.0.0.1/tcp/1')] }]);
    const clock = new FakeClock();
    const failures: RedialerEventDetail[] = [];
    const redialer = new Redialer(local, neighbours, {
      clock,
      random: () => 0, // no jitter: delays are exactly base * factor^n
      backoff: { baseMs: 100, maxMs: 400, factor: 2, jitter: 0.5 }
    });
    redialers.push(redialer);
    redialer.on('dial-failed', (d) => failures.push(d));
    await redialer.start();
    assert.deepEqual(clock.pending(), [0]); // first dial right away

    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.fireNext();
      await waitFor(() => failures.length === i + 1, `dial failure ${i + 1}`);
      delays.push(...clock.pending());
    }
    assert.deepEqual(delays, [100, 200, 400, 400]);
    assert.deepEqual(failures.map((f) => f.attempt), [1, 2, 3, 4]);

    await redialer.stop();
    assert.deepEqual(clock.pending(), []);
    assert.equal(redialer.running, false);
  });

  it('applies jitter within its bounds', async function () {
    const local = await makeNode();
    nodes.push(local);
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id');
    const neighbours = new NeighbourSet([{ peerId: peerIdFromPrivateKey(await newKey()), addrs: [multiaddr('/ip4/127.0.0.1/tcp/1')] }]);
    const clock = new FakeClock();
    const redialer = new Redialer(local, neighbours, { clock, random: () => 0.5, backoff: { baseMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 } });
    redialers.push(redialer);
    let failed = 0;
    redialer.on('dial-failed', () => failed++);
    await redialer.start();
    clock.fireNext();
    await waitFor(() => failed === 1, 'dial failure');
    assert.deepEqual(clock.pending(), [750]); // 1000 * (1 - 0.5 * 0.5)
  });
});
