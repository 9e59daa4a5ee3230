import { DeribitError, type DeribitErrorOptions } from '../errors.js'

/**
 * An async iteration fell more than `maxBuffered` messages behind its source. It ends with
 * this error rather than dropping messages silently or buffering without bound.
 */
export class SubscriptionOverflowError extends DeribitError {
  override name = 'SubscriptionOverflowError'
  /** The buffer limit the consumer exceeded. */
  readonly maxBuffered: number
  constructor(maxBuffered: number, options: DeribitErrorOptions = {}) {
    super(
      'SUBSCRIPTION_OVERFLOW',
      `The consumer fell more than ${maxBuffered} messages behind; the iteration was ended`,
      options,
    )
    this.maxBuffered = maxBuffered
  }
}
