/** One measured figure: `volume` of `class` that crossed the border from `from` into `to`. */
export interface UsageLineInput {
  class: string
  from: string
  to: string
  volume: string
  messages?: string
}

/** One measured SLA metric about `subject`'s service for `class` (e.g. delay_ms of the backbone). */
export interface MetricInput {
  subject: string
  class: string
  metric: string
  value: string
}
