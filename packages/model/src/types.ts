/**
 * The split-edge pricing model's types (docs/pricing.md). Every number that touches money is
 * a decimal string (`Decimal`), parsed exactly; nothing here is a float.
 *
 * This file is the contract shared by the evaluator, the wire documents (a signed Tariff converts
 * losslessly to `PricingTariff`) and the agent's settlement.
 */

/** An exact decimal as text: `-?digits(.digits)?`, no exponent, no leading `+`. */
export type Decimal = string

/** Network (operator) identifier. In the agent it is the operator's PeerId string. */
export type NetworkId = string

/** Class identifier, e.g. `be`, `ef`, `mc-af41`. */
export type ClassId = string

export type ServiceMode = 'unicast' | 'multicast'

/** Status of a neighbour as seen by the network that sets the weight. */
export type NeighbourStatus = 'customer' | 'peer' | 'transit'
export const NEIGHBOUR_STATUSES: readonly NeighbourStatus[] = ['customer', 'peer', 'transit']

/** A pair of weights a network applies to one neighbour (or status of neighbour). */
export interface WeightPair {
  /** w_ijs: weight on traffic that the neighbour sends into this network. */
  send: Decimal
  /** w_ijr: weight on traffic that the neighbour receives from this network. */
  receive: Decimal
}

/** One band of a sliding scale. At most one of `upTo` / `atLeast`; none means "anything". */
export interface SlaBand {
  upTo?: Decimal
  atLeast?: Decimal
  /** Factor in [0, 1], or above 1 for a bonus. */
  factor: Decimal
}

/**
 * A performance criterion on one metric (delay_ms, loss_pct, availability_pct, throughput_mbps…).
 * The bands say which way is better: `upTo` bands mean lower is better, `atLeast` bands mean higher
 * is better; a criterion may not mix them.
 */
export interface SlaCriterion {
  metric: string
  bands: SlaBand[]
  /** `interval` (default): each interval's volume takes that interval's factor. `period`: the worst value of the period sets one factor. */
  window?: SlaWindow
  /** Value assumed when the metric was not measured. Without it a missing metric gives factor 1 and a note. */
  default?: Decimal
  /** A value reported only by the judged network itself counts (otherwise only its neighbour's report does). */
  selfReport?: boolean
  /** Factors above 1 (a bonus) are allowed only when this is true. */
  bonus?: boolean
}

export type SlaWindow = 'interval' | 'period'

/** A per-message fee in its detailed form: `weighted: true` scales it by the send/receive weights. */
export interface MessageFee {
  fee: Decimal
  weighted?: boolean
}

/**
 * A period fee in its detailed form. `whenIdle: false` ("unless the agreement says otherwise"): the
 * fee is not charged for a period in which the border carried no attested traffic (no attested
 * volume and no attested message). Default `true`: owed whatever the volume.
 */
export interface PeriodFeeTerms {
  fee: Decimal
  whenIdle?: boolean
}

export interface ServiceClass {
  mode: ServiceMode
  /** Quality label, e.g. a DiffServ class (`EF`, `AF41`, `BE`). */
  quality: string
  /** Nominal price p_i(Q) per unit of volume. */
  price: Decimal
  /**
   * Flat fee per message of this class crossing a border with this network, in either direction
   * (patent claims 27, 34). Not scaled by the weights unless given as `{ fee, weighted: true }`.
   */
  messageFee?: Decimal | MessageFee
  /** Performance criteria: this network's charges for the class are scaled by the minimum factor. */
  sla?: SlaCriterion[]
  /**
   * Weights for this class only, keyed by a neighbour's id or `status:<NeighbourStatus>`. Resolution
   * order: neighbour+class, neighbour, status+class, status, `*` (see `resolveWeights`).
   */
  weights?: Record<string, WeightPair>
}

/** The pricing content of one tariff version, free of signatures and sequence numbers. */
export interface PricingTariff {
  /** ISO 4217-like currency code. */
  currency: string
  /** Decimal places of the currency; statement lines are rounded half-even to this. */
  decimals: number
  /** Unit of volume: `octet`, `packet`, or `mbit-second` (reserved bandwidth x time). */
  unit: 'octet' | 'packet' | 'mbit-second'
  classes: Record<ClassId, ServiceClass>
  /**
   * Weights toward neighbours. Keys: a neighbour's id, `status:<NeighbourStatus>`, or `*` (default
   * for anyone not otherwise named). A missing weight is 0.
   */
  weights: Record<string, WeightPair>
  /** The status this network gives each named neighbour (selects `status:<s>` weights). */
  statuses?: Record<NetworkId, NeighbourStatus>
  /**
   * Flat fee per settlement period, owed regardless of volume or disputes (claim 35): one value for
   * every neighbour, or a map keyed like `weights` (neighbour id, `status:<s>`, `*`) whose values are
   * a decimal or `{ fee, whenIdle: false }` to waive the fee for a period in which the border
   * carried no attested traffic. Negative: we pay.
   */
  periodFee?: Decimal | Record<string, Decimal | PeriodFeeTerms>
  /** Bilateral SLAs (claims 14-16): per neighbour, per class, criteria that replace the class's own. */
  bilateralSla?: Record<NetworkId, Record<ClassId, SlaCriterion[]>>
  /**
   * Class mapping (paper App. A): `classMap[neighbour][theirClass] = ourClass`: traffic the
   * neighbour sends in its class `theirClass` is carried here as `ourClass`, and usage is attested
   * in the receiving side's class names. One-to-one per neighbour.
   */
  classMap?: Record<NetworkId, Record<ClassId, ClassId>>
}

/** Resolve network `i`'s weights toward neighbour `j` (for class `cls`) under `tariff` (missing = 0). */
export type WeightResolver = (tariff: PricingTariff, neighbour: NetworkId, cls?: ClassId) => WeightPair
