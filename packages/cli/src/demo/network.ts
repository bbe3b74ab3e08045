/**
 * The demo network: five operators on loopback — two edge ISPs, two transit networks that peer
 * with each other, and a backbone — their tariffs, and the borders between them.
 */
import type { SlaCriterion } from '@splitedge/model'
import type { Status } from '../topology/schema.js'

export interface Operator { name: string, kind: string, tariff: Record<string, unknown> }
/** A border: `b` is `a`'s `status`; `a` is the inverse to `b`. */
export interface Border { a: string, b: string, status: Status }

const tariffOf = (be: string, ef: string, weights: Record<string, { send: string, receive: string }>, sla?: SlaCriterion[], extra: Record<string, unknown> = {}, efExtra: Record<string, unknown> = {}): Record<string, unknown> => ({
  currency: 'EUR',
  decimals: 6,
  unit: 'octet',
  classes: {
    be: { mode: 'unicast', quality: 'BE', price: be },
    ef: { mode: 'unicast', quality: 'EF', price: ef, ...(sla !== undefined ? { sla } : {}), ...efExtra }
  },
  weights,
  ...extra
})

const TRANSIT_2_WEIGHTS = { 'status:customer': { send: '2', receive: '1.5' }, 'status:peer': { send: '1', receive: '1' }, 'status:transit': { send: '0.5', receive: '0.5' } }

/**
 * Prices are per octet; weights follow each neighbour's status. It shows every kind of statement
 * line: transit-1 weights its customers' ef traffic more (a per-class weight) and charges a flat
 * fee per ef message (a message fee, counted by the synthetic source); the backbone judges ef
 * against transit-2 by a bilateral SLA that differs from the one its other border (transit-1)
 * gets, and pays transit-2 a flat fee each period (a negative period fee); transit-2 changes its
 * be price in the middle of a period (`DEMO_TARIFF_CHANGE`).
 */
export const DEMO_OPERATORS: Operator[] = [
  { name: 'edge-a', kind: 'edge ISP', tariff: tariffOf('0.0000015', '0.000004', { 'status:transit': { send: '0.5', receive: '0.5' }, 'status:customer': { send: '1', receive: '1' } }) },
  { name: 'edge-b', kind: 'edge ISP', tariff: tariffOf('0.0000015', '0.000004', { 'status:transit': { send: '0.5', receive: '0.5' }, 'status:customer': { send: '1', receive: '1' } }) },
  {
    name: 'transit-1',
    kind: 'transit',
    tariff: tariffOf('0.000001', '0.000003', {
      'status:customer': { send: '2', receive: '2' }, 'status:peer': { send: '1', receive: '1' }, 'status:transit': { send: '0.5', receive: '0.5' }
    }, undefined, {}, { weights: { 'status:customer': { send: '3', receive: '2.5' } }, messageFee: '0.0005' })
  },
  { name: 'transit-2', kind: 'transit', tariff: tariffOf('0.0000012', '0.0000028', TRANSIT_2_WEIGHTS) },
  {
    name: 'backbone',
    kind: 'backbone',
    tariff: tariffOf('0.0000008', '0.000003', { 'status:customer': { send: '2', receive: '2' } }, [
      // Patent-style sliding scales: the backbone is paid less when it misses its targets.
      { metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '40', factor: '0.8' }, { upTo: '50', factor: '0.5' }, { factor: '0' }] },
      { metric: 'availability_pct', bands: [{ atLeast: '99.9', factor: '1' }, { atLeast: '99.5', factor: '0.9' }, { factor: '0.5' }] }
    ], {
      // transit-2's agreement: a stricter delay scale, judged on the period's worst value.
      bilateralSla: { 'transit-2': { ef: [{ metric: 'delay_ms', window: 'period', bands: [{ upTo: '10', factor: '1' }, { upTo: '30', factor: '0.7' }, { factor: '0.4' }] }] } },
      periodFee: { 'transit-2': '-0.05' }
    })
  }
]

/** transit-2's second version: be up from 0.0000012 to 0.0000013, published inside a period. */
export const DEMO_TARIFF_CHANGE = { name: 'transit-2', tariff: tariffOf('0.0000013', '0.0000028', TRANSIT_2_WEIGHTS) }

export const DEMO_BORDERS: Border[] = [
  { a: 'edge-a', b: 'transit-1', status: 'transit' },
  { a: 'edge-b', b: 'transit-2', status: 'transit' },
  { a: 'transit-1', b: 'backbone', status: 'transit' },
  { a: 'transit-2', b: 'backbone', status: 'transit' },
  { a: 'transit-1', b: 'transit-2', status: 'peer' }
]

/** The operators the clearer serves. */
export const DEMO_CLEARED = ['edge-a', 'edge-b']
