/** Decoded, cached read access to the tariff book: now @splitedge/node's, re-exported for the agent. */
export { TariffView, type TariffInForce } from '@splitedge/node'
