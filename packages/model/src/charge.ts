/**
 * The split-edge charge and the bilateral net across one border (docs/pricing.md):
 *   v charges u:          V * w_vus * p_v(Q) * f_v
 *   u charges v:          V * w_uvr * p_u(Q) * f_u
 *   net from u to v:      V * (w_vus * p_v(Q) * f_v - w_uvr * p_u(Q) * f_u)
 * where f is each network's SLA factor for the class (1 without criteria). All exact.
 */
import { mul, sub, type Dec } from './decimal.js'

/** One network's charge: `V * w * p * f`. */
export function charge (volume: Dec, weight: Dec, price: Dec, factor: Dec): Dec {
  return mul(mul(mul(volume, weight), price), factor)
}

/** One side of a border for one class: its price, its SLA factor and its weights toward the other. */
export interface BorderSide {
  price: Dec
  factor: Dec
  /** This side's weight on traffic the other side sends into it (w_this,other,s). */
  send: Dec
  /** This side's weight on traffic the other side receives from it (w_this,other,r). */
  receive: Dec
}

/**
 * Net per unit of volume paid by `u` to `v` for traffic crossing from `u` into `v`:
 * `w_vus p_v f_v - w_uvr p_u f_u`. The net is linear in V, so callers sum volume first.
 */
export function netRate (u: BorderSide, v: BorderSide): Dec {
  return sub(mul(mul(v.send, v.price), v.factor), mul(mul(u.receive, u.price), u.factor))
}

/** Net payment from `u` to `v` for volume `V` crossing from `u` into `v` (negative: v pays u). */
export function bilateralNet (volume: Dec, u: BorderSide, v: BorderSide): Dec {
  return mul(volume, netRate(u, v))
}
