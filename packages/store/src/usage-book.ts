// The usage counters' part of the store: the steps of usage.ts run inside the serialised commit.

import type { Engine, Step } from './engine.js'
import { check } from './errors.js'
import { closeUsage, decodeCounters, planUsage, replaceUsage, sealUsage, usageKey, type AddUsageResult, type UsageCounters, type UsagePlan } from './usage.js'

export class UsageBook {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** Apply a plan of pushed usage in one synced write, or nothing at all (see AddUsageResult). */
  async addUsage (plan: UsagePlan): Promise<AddUsageResult> {
    let result: AddUsageResult | undefined
    await this.engine.commit([async (tx) => await planUsage(tx, this.subs, plan, (r) => { result = r })])
    check(result !== undefined, 'corrupt', 'usage plan gave no outcome')
    return result
  }

  async getUsage (border: string, start: number): Promise<UsageCounters | undefined> {
    this.engine.assertOpen()
    return decodeCounters(await this.subs.usage.get(usageKey(border, start)))
  }

  stepSealUsage (border: string, start: number, version: number, sealedBy: string): Step<'done' | 'conflict'> {
    usageKey(border, start)
    return async (tx) => await sealUsage(tx, this.subs, border, start, version, sealedBy)
  }

  stepCloseUsage (border: string, start: number, why: string): Step<'done'> {
    usageKey(border, start)
    return async (tx) => await closeUsage(tx, this.subs, border, start, why)
  }

  stepReplaceUsage (border: string, start: number, next: Omit<UsageCounters, 'version'>, expectOpen: boolean): Step<'done' | 'conflict'> {
    usageKey(border, start)
    return async (tx) => await replaceUsage(tx, this.subs, border, start, next, expectOpen)
  }
}
