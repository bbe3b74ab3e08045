import assert from 'node:assert/strict';
import { nodeCounters, peerScore, publish, subscribe, tariffTopic, unsubscribe } from '../src/net/index.js';
import { connect, makeNode, stopAll, waitFor } from './net-helpers.js';
import type { NetNode, Verdict } from '../src/net/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Waits until `publisher` knows `subscriber` subscribes to `topic`. */
async function meshed(publisher: NetNode, subscriber: NetNode, topic: string): Promise<void> {
  await waitFor(
    () => publisher.services.pubsub.getSubscribers(topic).some((p) => p.equals(subscriber.peerId)),
    'subscription to propagate'
  );
}

describe('net gossip topics (TCP loopback)', function () {
  const nodes: NetNode[] = [];
  let issuer: NetNode;
  let neighbour: NetNode;
  let topic: string;

  beforeEach(async function () {
    issuer = await makeNode();
    neighbour = await makeNode();
    nodes.push(issuer, neighbour);
    topic = tariffTopic(issuer.peerId);
    await connect(neighbour, issuer);
  });

  afterEach(async function () {
    await stopAll(nodes);
  });

  it('names tariff topics per issuer', function () {
    assert.equal(tariffTopic(issuer.peerId), `/splitedge/tariff/1/${issuer.peerId.toString()}`);
    assert.equal(tariffTopic(issuer.peerId.toString()), topic);
  });

  it('delivers a published message to a subscribed neighbour with its author', async function () {
    const got: Array<{ text: string; from: string }> = [];
    const seenByValidator: string[] = [];
    subscribe(neighbour, topic, (bytes, from, origin) => {
      seenByValidator.push(`${dec.decode(bytes)}|${from}|${origin.propagationSource}`);
      return 'accept';
    }, (bytes, from) => got.push({ text: dec.decode(bytes), from }));
    await meshed(issuer, neighbour, topic);
    assert.equal(await publish(issuer, topic, enc.encode('tariff v1')), 1);
    await waitFor(() => got.length === 1, 'delivery');
    assert.deepEqual(got, [{ text: 'tariff v1', from: issuer.peerId.toString() }]);
    const id = issuer.peerId.toString();
    assert.deepEqual(seenByValidator, [`tariff v1|${id}|${id}`]);
  });

  it('publishing with no subscribers is not an error', async function () {
    assert.equal(await publish(issuer, tariffTopic(issuer.peerId), enc.encode('nobody listens')), 0);
  });

  it('drops rejected messages, never delivers them, and lowers the sender score', async function () {
    const got: string[] = [];
    // Async validator: the verdict may come from a store lookup.
    const validate = async (bytes: Uint8Array): Promise<Verdict> => (bytes[0] === 0xff ? 'reject' : 'accept');
    subscribe(neighbour, topic, validate, (bytes) => got.push(dec.decode(bytes)));
    await meshed(issuer, neighbour, topic);
    const before = peerScore(neighbour, issuer.peerId);

    await publish(issuer, topic, new Uint8Array([0xff, 1, 2]));
    await waitFor(() => nodeCounters(neighbour).gossip[topic]?.rejected === 1, 'validator to reject');
    // The score is cached for up to one heartbeat; poll until it reflects the rejection.
    await waitFor(() => peerScore(neighbour, issuer.peerId) < Math.min(0, before), 'score to drop below zero');

    // A valid message after the bad one still gets through, and only it is delivered.
    await publish(issuer, topic, enc.encode('good'));
    await waitFor(() => got.length === 1, 'valid delivery');
    assert.deepEqual(got, ['good']);
    const c = nodeCounters(neighbour).gossip[topic];
    assert.equal(c?.rejected, 1);
    assert.equal(c?.ignored, 0);
  });

  it("drops ignored messages without penalising the sender", async function () {
    const got: string[] = [];
    subscribe(neighbour, topic, () => 'ignore', (bytes) => got.push(dec.decode(bytes)));
    await meshed(issuer, neighbour, topic);
    await publish(issuer, topic, enc.encode('stale'));
    await waitFor(() => nodeCounters(neighbour).gossip[topic]?.ignored === 1, 'validator to ignore');
    assert.deepEqual(got, []);
    assert.ok(peerScore(neighbour, issuer.peerId) >= 0);
  });

  it('stops delivery after unsubscribe', async function () {
    const got: string[] = [];
    subscribe(neighbour, topic, () => 'accept', (bytes) => got.push(dec.decode(bytes)));
    await meshed(issuer, neighbour, topic);
    unsubscribe(neighbour, topic);
    await waitFor(() => issuer.services.pubsub.getSubscribers(topic).length === 0, 'unsubscription to propagate');
    assert.equal(await publish(issuer, topic, enc.encode('late')), 0);
    assert.deepEqual(neighbour.services.pubsub.getTopics(), []);
    assert.deepEqual(got, []);
  });

  it('counts exactly the gossip messages and bytes', async function () {
    const got: string[] = [];
    subscribe(neighbour, topic, () => 'accept', (bytes) => got.push(dec.decode(bytes)));
    await meshed(issuer, neighbour, topic);
    const msgs = ['a', 'bb', 'cccc'];
    for (const m of msgs) await publish(issuer, topic, enc.encode(m));
    await waitFor(() => got.length === msgs.length, 'all deliveries');
    const bytes = msgs.join('').length;
    assert.deepEqual(nodeCounters(issuer).gossip[topic], {
      messagesIn: 0, messagesOut: 3, bytesIn: 0, bytesOut: bytes, rejected: 0, ignored: 0
    });
    assert.deepEqual(nodeCounters(neighbour).gossip[topic], {
      messagesIn: 3, messagesOut: 0, bytesIn: bytes, bytesOut: 0, rejected: 0, ignored: 0
    });
  });
});
