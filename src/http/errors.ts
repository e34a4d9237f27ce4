/** What the subscribe form held when it was rejected, so the page can show it again with the message. */
export interface SubscribeFormState {
  readonly email: string
  readonly tags: readonly string[]
  readonly cadence?: string
}

/**
 * The one error HTTP handlers throw on purpose. `message` is shown to the reader (in the site's
 * language), so it must never say more than they may know (which part of a token failed, whether an
 * address is subscribed).
 */
export class HttpError extends Error {
  override readonly name = 'HttpError'

  constructor(
    readonly status: number,
    message: string,
    readonly extra: {
      /** Page title for HTML answers; default the generic error title. */
      readonly title?: string
      readonly headers?: Readonly<Record<string, string>>
      /** Re-show the subscribe form with this input. */
      readonly form?: SubscribeFormState
      /** Offer a link back to the subscribe page. */
      readonly offerSubscribe?: boolean
    } = {},
  ) {
    super(message)
  }
}
