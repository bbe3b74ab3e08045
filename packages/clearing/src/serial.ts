/** Jobs run one after another, in the order they were queued; a failed job does not stop the next. */
export class Serial {
  private queue: Promise<unknown> = Promise.resolve()

  async run<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** Resolves once every job queued so far has finished. */
  async idle (): Promise<void> { await this.queue.catch(() => {}) }
}
