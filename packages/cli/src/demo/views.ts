/** What the demo reads from each agent's HTTP API (the fields it uses). */
import type { PricingTariff } from '@splitedge/model'
import { call, callAll } from '../api-client.js'

export interface StatementLineView { kind: string, class: string | null, from: string, to: string, volume: string, amount: string, factors: Record<string, string>, tariffs: Record<string, string>, note?: string }
export interface StatementView { neighbour: string, id: string, period: { start: number, end: number }, currency: string, net: string, payer: string, payee: string, amount: string, attestations: number, lines: StatementLineView[] }
export interface AttestationView { neighbour: string, intervalStart: number, id: string, lines: Array<{ class: string, from: string, to: string, volume: string, messages?: number | string }>, metrics: Array<{ subject: string, class: string, metric: string, value: string }> }
export interface TariffView { peerId: string, id: string, effective: number, pricing: PricingTariff }
export interface BrokerageView { periodStart: number, currency?: string, classes?: Array<{ class: string, chargedToOriginators: string, paidToTerminators: string, retained: string, factors: Record<string, string[]> }>, error?: string }

// The API's answers are the agent's own views; these are read-only shapes of them.
export const statementsOf = async (url: string): Promise<StatementView[]> => await callAll(url, '/v1/statements') as StatementView[]
export const attestationsOf = async (url: string): Promise<AttestationView[]> => await callAll(url, '/v1/attestations') as AttestationView[]
export const tariffsOf = async (url: string): Promise<TariffView[]> => await callAll(url, '/v1/tariffs') as TariffView[]
export const disputesOf = async (url: string): Promise<unknown[]> => await callAll(url, '/v1/disputes')
export const brokerageOf = async (url: string): Promise<BrokerageView[]> => await call(url, '/v1/brokerage') as BrokerageView[]
