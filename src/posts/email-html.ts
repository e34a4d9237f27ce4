import { escapeHtml } from '../html.js'

/*
 * The email rendering of a post body. Mail clients drop iframes, scripts and <style>, and few render MathML, so
 * what feeds carry as Nikola writes it is turned into what every client shows: videos become a link (with the
 * preview image where the provider has a known one), math the TeX itself, code gets inline colours.
 */

// Pygments' `default` style (Nikola's CODE_COLOR_SCHEME default), per short class: inline CSS.
const STYLE: Record<string, string> = {
  c: 'color:#408080;font-style:italic',
  c1: 'color:#408080;font-style:italic',
  cs: 'color:#408080;font-style:italic',
  cp: 'color:#BC7A00',
  cpf: 'color:#408080;font-style:italic',
  k: 'color:#008000;font-weight:bold',
  kc: 'color:#008000;font-weight:bold',
  kd: 'color:#008000;font-weight:bold',
  kn: 'color:#008000;font-weight:bold',
  kr: 'color:#008000;font-weight:bold',
  kt: 'color:#B00040',
  o: 'color:#666666',
  ow: 'color:#AA22FF;font-weight:bold',
  nb: 'color:#008000',
  bp: 'color:#008000',
  nf: 'color:#0000FF',
  nc: 'color:#0000FF;font-weight:bold',
  nn: 'color:#0000FF;font-weight:bold',
  ne: 'color:#D2413A;font-weight:bold',
  nv: 'color:#19177C',
  no: 'color:#880000',
  nl: 'color:#A0A000',
  nt: 'color:#008000;font-weight:bold',
  na: 'color:#7D9029',
  nd: 'color:#AA22FF',
  py: 'color:#000000',
  s: 'color:#BA2121',
  s1: 'color:#BA2121',
  s2: 'color:#BA2121',
  sb: 'color:#BA2121',
  sc: 'color:#BA2121',
  sd: 'color:#BA2121;font-style:italic',
  si: 'color:#BB6688;font-weight:bold',
  se: 'color:#BB6622;font-weight:bold',
  sr: 'color:#BB6688',
  ss: 'color:#19177C',
  m: 'color:#666666',
  mi: 'color:#666666',
  mf: 'color:#666666',
  gh: 'color:#000080;font-weight:bold',
  gu: 'color:#800080;font-weight:bold',
  gd: 'color:#A00000',
  gi: 'color:#00A000',
  ge: 'font-style:italic',
  gs: 'font-weight:bold',
  gp: 'color:#000080;font-weight:bold',
  go: 'color:#888888',
  hll: 'background-color:#ffffcc',
}

const PRE_STYLE = 'background:#f8f8f8;border:1px solid #e0e0e0;padding:8px;overflow:auto;font-size:13px;line-height:1.4'
const CODE_BLOCK = /<pre class="code[ "][\s\S]*?<\/pre>|<div class="code"><table class="codetable">[\s\S]*?<\/table><\/div>/g

function colourCode(block: string): string {
  const coloured = block
    .replace(/<a id="[^"]*" name="[^"]*"(?: href="[^"]*")?><\/a>/g, '')
    .replace(/<span class="([a-z0-9]+)">/g, (_whole, cls: string) => (STYLE[cls] ? `<span style="${STYLE[cls]}">` : '<span>'))
  if (coloured.startsWith('<pre')) return coloured.replace(/^<pre class="([^"]*)">/, `<pre class="$1" style="${PRE_STYLE}">`)
  // The numbered form: numbers shown by CSS in pages become text, each row a line of one <pre>.
  const rows = [...coloured.matchAll(/<code data-line-number="([^"]*)"><\/code>[\s\S]*?<td class="code"><code>([\s\S]*?)<\/code><\/td>/g)]
  const lines = rows.map(([, number, line]) => `<span style="color:#888888">${number} </span>${(line ?? '').replace(/&nbsp;/g, ' ')}`)
  return `<pre class="code" style="${PRE_STYLE}">${lines.join('')}</pre>`
}

const YOUTUBE = /youtube(?:-nocookie)?\.com\/embed\/([\w-]+)/

function iframeLink(iframe: string): string {
  const src = /\ssrc="([^"]*)"/.exec(iframe)?.[1] ?? ''
  const title = /\stitle="([^"]*)"/.exec(iframe)?.[1]
  const youtube = YOUTUBE.exec(src)
  if (youtube) {
    const id = youtube[1]!
    const watch = `https://www.youtube.com/watch?v=${id}`
    return (
      `<p><a href="${watch}"><img src="https://img.youtube.com/vi/${id}/hqdefault.jpg" alt="${title ?? 'Video on YouTube'}" ` +
      `width="480" style="max-width:100%;height:auto"></a><br><a href="${watch}">▶ ${title ?? 'Watch the video on YouTube'}</a></p>`
    )
  }
  const vimeo = /player\.vimeo\.com\/video\/(\d+)/.exec(src)
  if (vimeo) return `<p><a href="https://vimeo.com/${vimeo[1]}">▶ ${title ?? 'Watch the video on Vimeo'}</a></p>`
  if (/soundcloud\.com/.test(src)) return `<p><a href="${src}">▶ ${title ?? 'Listen on SoundCloud'}</a></p>`
  if (!src) return ''
  const host = /^(?:https?:)?\/\/([^/]+)/.exec(src.replace(/&amp;/g, '&'))?.[1] ?? 'the post'
  return `<p><a href="${src}">${title ?? `Embedded content from ${escapeHtml(host)}`}</a></p>`
}

/** The email variant of post HTML (feed HTML in, HTML every mail client shows out). */
// Plain substring searches: one regex alternation over a whole body cost ~0.05 ms a post, four `includes` a tenth of it.
const NEEDS_EMAIL_CHANGES = ['<iframe', 'class="math"', 'class="code', '<script']

export function toEmailHtml(html: string): string {
  if (!NEEDS_EMAIL_CHANGES.some((marker) => html.includes(marker))) return html
  let out = html
  if (out.includes('<iframe')) {
    out = out
      .replace(
        /<div class="(?:youtube-video|vimeo-video|soundcloud-player)[^"]*">\s*(<iframe[\s\S]*?<\/iframe>)\s*<\/div>/g,
        (_w, iframe: string) => iframeLink(iframe),
      )
      .replace(/<iframe[\s\S]*?(?:<\/iframe>|\/>)/g, (iframe) => iframeLink(iframe))
  }
  if (out.includes('class="math"')) {
    out = out
      .replace(/<span class="math">\\\(([\s\S]*?)\\\)<\/span>/g, '<code class="math">$1</code>')
      .replace(/<div class="math"[^>]*>\n?([\s\S]*?)\n?<\/div>/g, (_w, tex: string) => `<pre class="math">${tex.replace(/\n$/, '')}</pre>`)
  }
  if (out.includes('class="code')) out = out.replace(CODE_BLOCK, colourCode)
  if (out.includes('<script')) out = out.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<\/?noscript>/g, '')
  return out
}
