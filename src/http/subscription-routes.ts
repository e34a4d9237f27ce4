import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter } from 'prom-client'
import { HeraldError } from '../errors.js'
import { fill } from '../i18n/messages.js'
import { normaliseEmail } from '../mail/address.js'
import { CADENCES, type Cadence, type Subscriber } from '../subscribers/store.js'
import type { TokenPurpose } from '../subscribers/tokens.js'
import { type ServiceContext, wantsJson } from './context.js'
import { HttpError } from './errors.js'
import { list, readFields, single } from './forms.js'
import { confirmPage, messagePage, preferencesPage, subscribePage, unsubscribePage } from './pages.js'

const HONEYPOT = 'website'
const MAX_EMAIL_INPUT = 320
const NO_STORE = 'no-store'

type TokenRequest = FastifyRequest<{ Querystring: { token?: string | string[] } }>

/** GET/POST /subscribe, GET/POST /confirm, GET/POST /unsubscribe, GET/POST /preferences. */
export function registerSubscriptionRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { words, site, options } = context
  const { subscriptions } = options
  const siteTitle = { site: options.config.site.title }
  const requests = new Counter({
    name: 'herald_subscribe_requests_total',
    help: 'POST /subscribe requests by result.',
    labelNames: ['result'],
    registers: [context.metrics],
  })
  const rateLimit = { max: options.config.http.subscribeRateLimit, timeWindow: options.config.http.subscribeRateWindowSeconds * 1000 }
  const formTags = options.formTags ?? options.tags ?? []
  const knownTags = new Map([...(options.tags ?? []), ...formTags].map((tag) => [tag.toLowerCase(), tag]))

  app.get('/subscribe', async (_request, reply) => html(reply, subscribePage(site, { tags: formTags })))

  const onExceeded = () => requests.inc({ result: 'rate_limited' })
  app.post('/subscribe', { config: { rateLimit: { ...rateLimit, onExceeded } } }, async (request, reply) => {
    const fields = readFields(request.body, { badInput: words.badInput, lineBreak: words.lineBreakNotAllowed })
    const email = single(fields, 'email', words.badInput).trim()
    const chosen = list(fields, 'tags')
    const cadenceField = single(fields, 'cadence', words.badInput)
    const form = { email: email.slice(0, MAX_EMAIL_INPUT), tags: chosen, cadence: cadenceField }
    if (single(fields, HONEYPOT, words.badInput) !== '') {
      // Bots get the same answer as people, so they learn nothing; nothing is stored or sent.
      requests.inc({ result: 'honeypot' })
      return checkEmail(request, reply)
    }
    let address: ReturnType<typeof normaliseEmail>
    try {
      if (email.length > MAX_EMAIL_INPUT) throw new HeraldError('SUBSCRIBER_INVALID', 'too long')
      address = normaliseEmail(email)
    } catch {
      requests.inc({ result: 'invalid' })
      throw new HttpError(400, words.invalidEmail, { form })
    }
    const tags = chosen.map((tag) => knownTags.get(tag.trim().toLowerCase()))
    if (tags.some((tag) => tag === undefined)) {
      requests.inc({ result: 'invalid' })
      throw new HttpError(400, words.invalidTags, { form })
    }
    if (cadenceField !== '' && !isCadence(cadenceField)) {
      requests.inc({ result: 'invalid' })
      throw new HttpError(400, words.badInput, { form })
    }
    const result = await subscriptions.subscribe({
      email: address.email,
      tags: tags as string[],
      ...(isCadence(cadenceField) ? { cadence: cadenceField } : {}),
      consent: { source: 'form', ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '') },
    })
    requests.inc({ result: 'accepted' })
    // An active subscriber gets nothing (no mail a stranger could trigger); pending ones at most one mail per cool-down.
    if (result.confirmation === 'due') sendInBackground(result.subscriber)
    return checkEmail(request, reply)
  })

  // GET (and HEAD) only show the page: link scanners fetch every URL in a message and must not confirm anything.
  app.get('/confirm', async (request: TokenRequest, reply) => {
    const token = single({ token: request.query.token ?? '' }, 'token', words.linkInvalidText)
    checkToken('confirm', token)
    noStore(reply)
    return html(reply, confirmPage(site, token))
  })

  app.post('/confirm', async (request: TokenRequest, reply) => {
    const id = checkToken('confirm', request.query.token)
    const result = await subscriptions.confirm(id)
    if (result.outcome === 'missing') throw invalidLink()
    if (result.outcome === 'refused') throw new HttpError(410, words.linkUsedText, { title: words.linkInvalidTitle, offerSubscribe: true })
    if (result.welcome) sendWelcomeInBackground(id)
    noStore(reply)
    if (wantsJson(request)) return { status: 'active' }
    return html(reply, messagePage(site, words.confirmedTitle, fill(words.confirmedText, siteTitle)))
  })

  app.get('/unsubscribe', async (request: TokenRequest, reply) => {
    const token = single({ token: request.query.token ?? '' }, 'token', words.linkInvalidText)
    checkToken('unsubscribe', token)
    noStore(reply)
    return html(reply, unsubscribePage(site, token))
  })

  app.post('/unsubscribe', async (request: TokenRequest, reply) => {
    const id = checkToken('unsubscribe', request.query.token)
    const fields = readFields(request.body, { badInput: words.badInput, lineBreak: words.lineBreakNotAllowed })
    // RFC 8058: the body is exactly "List-Unsubscribe=One-Click"; our own page's button sends the same.
    if (single(fields, 'List-Unsubscribe', words.badInput) !== 'One-Click') {
      throw new HttpError(400, 'expected the body List-Unsubscribe=One-Click (RFC 8058)')
    }
    // Removed or already unsubscribed: the answer is the same, and unsubscribing twice is fine.
    await subscriptions.unsubscribe(id)
    noStore(reply)
    if (wantsJson(request)) return { status: 'unsubscribed' }
    return html(reply, messagePage(site, words.unsubscribedTitle, fill(words.unsubscribedText, siteTitle)))
  })

  // Like /confirm: a GET shows the form and changes nothing; only the form's POST does.
  app.get('/preferences', async (request: TokenRequest, reply) => {
    const token = single({ token: request.query.token ?? '' }, 'token', words.linkInvalidText)
    const subscriber = await activeSubscriber(checkToken('preferences', token))
    noStore(reply)
    return html(
      reply,
      preferencesPage(site, {
        token,
        unsubscribeToken: subscriptions.tokens.unsubscribeToken(subscriber.id),
        email: subscriber.email,
        tags: offeredTags(subscriber),
        checked: subscriber.tags,
        cadence: subscriber.cadence,
      }),
    )
  })

  app.post('/preferences', async (request: TokenRequest, reply) => {
    const token = single({ token: request.query.token ?? '' }, 'token', words.linkInvalidText)
    const subscriber = await activeSubscriber(checkToken('preferences', token))
    const fields = readFields(request.body, { badInput: words.badInput, lineBreak: words.lineBreakNotAllowed })
    const offered = new Map(offeredTags(subscriber).map((tag) => [tag.toLowerCase(), tag]))
    const tags = list(fields, 'tags').map((tag) => offered.get(tag.trim().toLowerCase()))
    if (tags.some((tag) => tag === undefined)) throw new HttpError(400, words.invalidTags)
    const cadence = single(fields, 'cadence', words.badInput) || subscriber.cadence
    if (!isCadence(cadence)) throw new HttpError(400, words.badInput)
    if (!(await subscriptions.store.setPreferences(subscriber.id, { tags: tags as string[], cadence }))) throw invalidLink()
    noStore(reply)
    if (wantsJson(request)) return { status: 'saved', tags, cadence }
    const again = { href: `preferences?token=${encodeURIComponent(token)}`, label: words.preferencesTitle }
    return html(reply, messagePage(site, words.preferencesSavedTitle, fill(words.preferencesSavedText, siteTitle), { link: again }))
  })

  /** The subscriber a preferences link is for: missing → the invalid-link answer; opted out → a page saying so. */
  async function activeSubscriber(id: string): Promise<Subscriber> {
    const subscriber = await subscriptions.store.get(id)
    if (!subscriber) throw invalidLink()
    if (subscriber.status === 'unsubscribed' || subscriber.status === 'bounced') {
      throw new HttpError(410, fill(words.preferencesInactiveText, siteTitle), { title: words.preferencesTitle, offerSubscribe: true })
    }
    return subscriber
  }

  /** Every live tag, plus any the subscriber has that no live post uses any more (so saving does not drop it). */
  function offeredTags(subscriber: Subscriber): string[] {
    const tags = new Map((options.tags ?? []).map((tag) => [tag.toLowerCase(), tag]))
    for (const tag of subscriber.tags) if (!tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag)
    return [...tags.values()]
  }

  function checkToken(purpose: TokenPurpose, raw: string | string[] | undefined): string {
    const token = Array.isArray(raw) ? null : raw
    if (!token) throw invalidLink()
    const check = subscriptions.tokens.verify(purpose, token)
    if (check.ok) return check.subscriberId
    // "Expired" is kind to say and gives nothing away; any other failure gets one answer, whatever part was wrong.
    if (check.reason === 'expired') throw new HttpError(410, words.linkExpiredText, { title: words.linkInvalidTitle, offerSubscribe: true })
    throw invalidLink()
  }

  function invalidLink(): HttpError {
    return new HttpError(400, words.linkInvalidText, { title: words.linkInvalidTitle, offerSubscribe: true })
  }

  function checkEmail(request: FastifyRequest, reply: FastifyReply) {
    noStore(reply)
    if (wantsJson(request)) return { status: 'ok', message: words.checkEmailText }
    return html(reply, messagePage(site, words.checkEmailTitle, words.checkEmailText))
  }

  function sendWelcomeInBackground(subscriberId: string): void {
    const sending = subscriptions.sendWelcome(subscriberId).then(
      (result) => result && options.logger.info({ subscriber: subscriberId, messageId: result.messageId }, 'welcome email sent'),
      (error: unknown) => options.logger.error({ subscriber: subscriberId, err: error }, 'could not send the welcome email'),
    )
    context.inFlight.add(sending)
    void sending.finally(() => context.inFlight.delete(sending))
  }

  function sendInBackground(subscriber: Subscriber): void {
    // Sending after the answer keeps new, pending and active addresses indistinguishable by timing too.
    const sending = subscriptions.sendConfirmation(subscriber).then(
      (result) => options.logger.info({ subscriber: subscriber.id, messageId: result.messageId }, 'confirmation email sent'),
      (error: unknown) => options.logger.error({ subscriber: subscriber.id, err: error }, 'could not send the confirmation email'),
    )
    context.inFlight.add(sending)
    void sending.finally(() => context.inFlight.delete(sending))
  }
}

function isCadence(value: string): value is Cadence {
  return (CADENCES as readonly string[]).includes(value)
}

function noStore(reply: FastifyReply): void {
  reply.header('Cache-Control', NO_STORE)
}

function html(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page)
}
