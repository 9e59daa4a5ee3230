/** One price level: [price, amount]. */
export type BookLevel = readonly [price: number, amount: number]

/**
 * One side of a book: amounts by price plus an array of prices kept sorted best-first, so
 * the best level is index 0 and depth reads are slices. Insert/delete is a binary search
 * and a splice: at a few hundred levels a splice is a short memmove, cheaper than a tree.
 */
export class BookSide {
  readonly #amounts = new Map<number, number>()
  readonly #prices: number[] = []
  /** True for bids (best = highest). */
  readonly #descending: boolean

  constructor(side: 'bids' | 'asks') {
    this.#descending = side === 'bids'
  }

  get size(): number {
    return this.#prices.length
  }

  /** Sets a level; an amount of 0 (or less) deletes it. */
  set(price: number, amount: number): void {
    if (!(amount > 0)) {
      this.delete(price)
      return
    }
    if (!this.#amounts.has(price)) this.#prices.splice(this.#indexFor(price), 0, price)
    this.#amounts.set(price, amount)
  }

  delete(price: number): void {
    if (!this.#amounts.delete(price)) return
    this.#prices.splice(this.#indexFor(price), 1)
  }

  clear(): void {
    this.#amounts.clear()
    this.#prices.length = 0
  }

  amountAt(price: number): number | undefined {
    return this.#amounts.get(price)
  }

  best(): BookLevel | undefined {
    const price = this.#prices[0]
    return price === undefined ? undefined : [price, this.#amounts.get(price) as number]
  }

  /** Levels best-first, at most `depth` of them. */
  levels(depth = Number.POSITIVE_INFINITY): BookLevel[] {
    const n = Math.min(depth, this.#prices.length)
    const out: BookLevel[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const price = this.#prices[i] as number
      out[i] = [price, this.#amounts.get(price) as number]
    }
    return out
  }

  /** First index whose price is not better than `price` (where it is, or would be inserted). */
  #indexFor(price: number): number {
    const prices = this.#prices
    let lo = 0
    let hi = prices.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const p = prices[mid] as number
      if (this.#descending ? p > price : p < price) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
