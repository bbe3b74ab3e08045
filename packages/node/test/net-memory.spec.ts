import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NeighbourSet, Redialer, handle, publish, request, subscribe, tariffTopic } from '../src/net/index.js';
import { makeNode, stopAll, waitFor } from './net-helpers.js';
import type { NetNode } from '../src/net/index.js';

describe('net over the memory transport', function () {
  const nodes: NetNode[] = [];
  let redialer: Redialer | undefined;

  afterEach(async function () {
    await redialer?.stop();
    await stopAll(nodes);
  });

  it('connects neighbours, serves requests and gossips in one process', async function () {
    const a = await makeNode({ transport: 'memory', listen: [`/memory/${randomUUID()}`] });
    const b = await makeNode({ transport: 'memory', listen: [`/memory/${randomUUID()}`] });
    nodes.push(a, b);
    assert.match(b.getMultiaddrs()[0]?.toString() ?? '', /^\/memory\//);

    redialer = new Redialer(a, new NeighbourSet([{ peerId: b.peerId, addrs: b.getMultiaddrs() }]));
    const connected: string[] = [];
    redialer.on('connect', (d) => connected.push(d.peerId));
    await redialer.start();
    await waitFor(() => connected.length === 1, 'memory connection');

    await handle(b, '/splitedge/test/1', (req) => req.map((x) => x + 1), { maxRequestBytes: 64, allow: () => true, timeoutMs: 2_000 });
    const resp = await request(a, b.peerId, '/splitedge/test/1', new Uint8Array([1, 2, 3]), { maxResponseBytes: 64, timeoutMs: 2_000 });
    assert.deepEqual([...resp], [2, 3, 4]);

    const topic = tariffTopic(b.peerId);
    const got: number[][] = [];
    subscribe(a, topic, () => 'accept', (bytes) => got.push([...bytes]));
    await waitFor(() => b.services.pubsub.getSubscribers(topic).length === 1, 'subscription');
    assert.equal(await publish(b, topic, new Uint8Array([9])), 1);
    await waitFor(() => got.length === 1, 'gossip delivery');
    assert.deepEqual(got, [[9]]);
  });
});
