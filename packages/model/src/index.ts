/**
 * @splitedge/model: the split-edge pricing model, pure and exact (docs/pricing.md).
 *
 * - exact decimals (bigint coefficient + scale), one half-even rounding at the end: `decimal.ts`
 * - the charge `V * w * p(Q) * f` and the bilateral net across a border: `charge.ts`
 * - weight resolution for a tariff: `weights.ts`; SLA sliding scales: `sla.ts`
 * - bilateral settlement statements between two neighbours: `statement.ts`
 * - the brokerage view (charged to originators = retained + paid to terminators): `brokerage.ts`
 * - the scenario evaluator and its output: `scenario.ts`, `evaluate.ts` (format 1), `scenario2.ts`
 *   (format 2: tariff versions, fees, class maps, per-border SLA), `output.ts`
 * - a tariff's content check: `pricing.ts`
 *
 * No I/O, no clock, no randomness. Bad input raises `ModelError` with a `code` and a `field`.
 */
export * from './types.js'
export { ModelError, isModelError, type ModelErrorCode } from './errors.js'
export {
  type Dec, ZERO, ONE, parseDec, parseNonNegativeDec, isDecimalText, add, sub, neg, mul, sum, cmp, min,
  isZero, roundHalfEven, format, formatRounded, normalize, dec, pow10
} from './decimal.js'
export { charge, netRate, bilateralNet, type BorderSide } from './charge.js'
export { resolveWeights, resolvePeriodFee, resolvePeriodFeeTerms, ZERO_WEIGHTS } from './weights.js'
export { parseCriteria, criterionFactor, classFactor, slaFactor, judge, worse, type ParsedCriterion, type Direction } from './sla.js'
export { checkPricing, UNITS, type NeighbourCheck } from './pricing.js'
export { evaluateScenario2, scenario2Totals, type Scenario2Result } from './scenario2.js'
export {
  compileScenario, netRateOf, weightsOf, codeUnitOrder, MAX_DECIMALS, type Scenario, type ScenarioNetwork,
  type ScenarioFlow, type ScenarioTree, type NetworkRole, type CompiledScenario
} from './scenario.js'
export { evaluateScenario, type ScenarioResult, type BorderNet } from './evaluate.js'
export { renderScenarioOutput, renderScenario2Output, renderLine, simulate } from './output.js'
export {
  computeStatement, senderClass, receiverClass, messageFeeOf, type StatementInput, type StatementInterval, type Measured, type StatementSegment, type StatementLine, type StatementLineKind,
  type Statement, type UsageLine, type TariffRef
} from './statement.js'
export { brokerageView, type BrokerageView, type BrokerageClassView } from './brokerage.js'
export { seededRng, below, type Rng } from './random.js'
