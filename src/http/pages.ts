import type { Config } from '../config.js'
import { escapeHtml as esc } from '../html.js'
import { fill, type Messages } from '../i18n/messages.js'
import { siteFeeds } from '../pages/layout.js'
import { CADENCES, type Cadence } from '../subscribers/store.js'

/** What every page needs to know about the site. */
export interface PageSite {
  readonly language: string
  readonly title: string
  /** The blog (`site.url`): every page links back to it. */
  readonly url: string
  readonly words: Messages
  /** Site-wide feeds (absolute URLs at the blog), for `<link rel="alternate">` and the visible list. */
  readonly feeds: readonly { readonly href: string; readonly type: string; readonly label: string }[]
  /** Cadence new subscribers get unless they choose (`email.default_cadence`). */
  readonly defaultCadence: Cadence
}

/** The page context for a site config. */
export function pageSite(config: Config, words: Messages): PageSite {
  return {
    language: config.site.language,
    title: config.site.title,
    url: config.site.url,
    words,
    feeds: siteFeeds(config),
    defaultCadence: config.email.defaultCadence,
  }
}

const BUTTON_STYLE =
  'button{margin-top:1.4rem;font:inherit;font-weight:600;padding:.6rem 1.3rem;border:0;border-radius:6px;' +
  'background:#0969da;color:#fff;cursor:pointer}'

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f7f9}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.45rem;line-height:1.3;margin:0 0 1rem}
label{display:block;font-weight:600;margin:1.2rem 0 .35rem}
input[type=email]{width:100%;font:inherit;padding:.55rem .7rem;border:1px solid #8c959f;border-radius:6px}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #0969da;outline-offset:2px}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:1.2rem 0 0;padding:.6rem 1rem}
legend{font-weight:600;padding:0 .3rem}
fieldset label{display:inline-flex;gap:.4rem;align-items:center;font-weight:normal;margin:.25rem 1.2rem .25rem 0}
fieldset.cadence label{display:flex}
.back{margin:0 0 1.2rem;font-size:.95rem}
hr{border:0;border-top:1px solid #d0d7de;margin:2rem 0 1rem}
button.secondary{background:#fff;color:#a40e26;border:1px solid #a40e26}
button.secondary:hover{background:#ffebe9}
.hint{color:#57606a;font-size:.9rem;margin:.3rem 0}
.error{color:#a40e26;background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:.6rem .8rem}
${BUTTON_STYLE}
button:hover{background:#0550ae}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
footer{margin-top:2rem;font-size:.9rem;color:#57606a}
a{color:#0969da}
`.trim()

/** A complete HTML page: language, title, inline CSS, feed links; `body` is trusted markup. */
export function renderPage(site: PageSite, title: string, body: string): string {
  const alternates = site.feeds
    .map(
      (feed) => `<link rel="alternate" type="${esc(feed.type)}" href="${esc(feed.href)}" title="${esc(`${site.title} (${feed.label})`)}">`,
    )
    .join('\n')
  const feedList = site.feeds.length
    ? `<footer><nav aria-label="${esc(site.words.feedsLabel)}">${esc(site.words.feedsLabel)}: ` +
      `${site.feeds.map((feed) => `<a href="${esc(feed.href)}">${esc(feed.label)}</a>`).join(' · ')}</nav></footer>`
    : ''
  const back = `<p class="back"><a href="${esc(site.url)}">← ${esc(fill(site.words.backToSite, { site: site.title }))}</a></p>`
  return `<!doctype html>
<html lang="${esc(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)} · ${esc(site.title)}</title>
${alternates}
<style>${STYLE}</style>
</head>
<body>
<main>
${back}
${body}
${feedList}
</main>
</body>
</html>
`
}

/** Input of the subscribe form, for showing it again after an error. */
export interface SubscribeFormView {
  readonly tags: readonly string[]
  readonly email?: string
  readonly checked?: readonly string[]
  /** The chosen cadence; default the site's. */
  readonly cadence?: string
  readonly error?: string
}

/** Tag checkboxes (none checked = every post), shared by the subscribe and preferences forms. */
function tagFieldset(words: Messages, tags: readonly string[], checked: readonly string[], legend: string): string {
  if (tags.length === 0) return ''
  const chosen = new Set(checked.map((tag) => tag.toLowerCase()))
  return `<fieldset aria-describedby="tags-hint">
<legend>${esc(legend)}</legend>
<p class="hint" id="tags-hint">${esc(words.tagsHint)}</p>
${tags
  .map(
    (tag, index) =>
      `<label for="tag-${index}"><input type="checkbox" id="tag-${index}" name="tags" value="${esc(tag)}"` +
      `${chosen.has(tag.toLowerCase()) ? ' checked' : ''}> ${esc(tag)}</label>`,
  )
  .join('\n')}
</fieldset>`
}

/** How often: instant, daily or weekly, as radio buttons. */
function cadenceFieldset(words: Messages, current: string): string {
  const labels: Record<Cadence, string> = { instant: words.cadenceInstant, daily: words.cadenceDaily, weekly: words.cadenceWeekly }
  return `<fieldset class="cadence">
<legend>${esc(words.cadenceLegend)}</legend>
${CADENCES.map(
  (cadence) =>
    `<label for="cadence-${cadence}"><input type="radio" id="cadence-${cadence}" name="cadence" value="${cadence}"` +
    `${cadence === current ? ' checked' : ''}> ${esc(labels[cadence])}</label>`,
).join('\n')}
</fieldset>`
}

/** The subscribe page: email, optional tag checkboxes, how often, hidden honeypot; works without JavaScript. */
export function subscribePage(site: PageSite, form: SubscribeFormView): string {
  const words = site.words
  const title = fill(words.subscribeTitle, { site: site.title })
  const error = form.error ? `<p class="error" role="alert" id="form-error">${esc(form.error)}</p>` : ''
  const describedBy = form.error ? ' aria-describedby="form-error" aria-invalid="true"' : ''
  return renderPage(
    site,
    title,
    `<h1>${esc(title)}</h1>
<p>${esc(words.subscribeLead)}</p>
${error}
<form method="post" action="subscribe" accept-charset="utf-8">
<label for="email">${esc(words.emailLabel)}</label>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" ` +
      `value="${esc(form.email ?? '')}"${describedBy}>
${tagFieldset(words, form.tags, form.checked ?? [], words.tagsLegend)}
${cadenceFieldset(words, form.cadence ?? site.defaultCadence)}
<div class="trap" aria-hidden="true"><label for="website">${esc(words.honeypotLabel)}</label>` +
      `<input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">${esc(words.subscribeButton)}</button>
</form>`,
  )
}

/** What the preferences page shows. */
export interface PreferencesView {
  /** The preferences token (the form posts back with it). */
  readonly token: string
  /** The subscriber's unsubscribe token, for the unsubscribe button. */
  readonly unsubscribeToken: string
  readonly email: string
  /** Every tag offered: the live tags and any the subscriber already has. */
  readonly tags: readonly string[]
  readonly checked: readonly string[]
  readonly cadence: string
}

/**
 * The preferences page: tags and cadence in one form that POSTs back (a GET changes nothing), and a separate
 * unsubscribe button that POSTs the RFC 8058 body to the unsubscribe URL.
 */
export function preferencesPage(site: PageSite, view: PreferencesView): string {
  const words = site.words
  return renderPage(
    site,
    words.preferencesTitle,
    `<h1>${esc(words.preferencesTitle)}</h1>
<p>${esc(fill(words.preferencesLead, { site: site.title, email: view.email }))}</p>
<form method="post" action="preferences?token=${esc(encodeURIComponent(view.token))}" accept-charset="utf-8">
${tagFieldset(words, view.tags, view.checked, words.topicsLegend)}
${cadenceFieldset(words, view.cadence)}
<button type="submit">${esc(words.savePreferences)}</button>
</form>
<hr>
<p>${esc(fill(words.preferencesUnsubscribeLead, { site: site.title }))}</p>
<form method="post" action="unsubscribe?token=${esc(encodeURIComponent(view.unsubscribeToken))}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" class="secondary">${esc(words.unsubscribeButton)}</button>
</form>`,
  )
}

/** A page with a heading, a paragraph and optionally a link to subscribe (again) or to another page. */
export function messagePage(
  site: PageSite,
  title: string,
  text: string,
  options: { offerSubscribe?: boolean; link?: { href: string; label: string } } = {},
): string {
  const other = options.link ? `\n<p><a href="${esc(options.link.href)}">${esc(options.link.label)}</a></p>` : ''
  const link = (options.offerSubscribe ? `\n<p><a href="subscribe">${esc(site.words.subscribeAgain)}</a></p>` : '') + other
  return renderPage(site, title, `<h1>${esc(title)}</h1>\n<p>${esc(text)}</p>${link}`)
}

/**
 * The confirmation page: one button that POSTs to the same URL. A GET confirms nothing, so a mail scanner that
 * fetches every link in a message cannot subscribe an address nobody asked for.
 */
export function confirmPage(site: PageSite, token: string): string {
  const words = site.words
  return renderPage(
    site,
    words.confirmPageTitle,
    `<h1>${esc(words.confirmPageTitle)}</h1>
<p>${esc(fill(words.confirmPageQuestion, { site: site.title }))}</p>
<form method="post" action="confirm?token=${esc(encodeURIComponent(token))}">
<button type="submit">${esc(words.confirmButton)}</button>
</form>`,
  )
}

/** The unsubscribe page: one button that POSTs the RFC 8058 body to the same URL. */
export function unsubscribePage(site: PageSite, token: string): string {
  const words = site.words
  return renderPage(
    site,
    words.unsubscribeTitle,
    `<h1>${esc(words.unsubscribeTitle)}</h1>
<p>${esc(fill(words.unsubscribeQuestion, { site: site.title }))}</p>
<form method="post" action="unsubscribe?token=${esc(encodeURIComponent(token))}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${esc(words.unsubscribeButton)}</button>
</form>`,
  )
}
