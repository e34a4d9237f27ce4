import type { RstCompilerPlugin, RstDirective, RstGeneratorState, RstInterpretedText } from 'rst-compiler'
import { escapeHtml } from '../html.js'
import { argumentText, classNames, figureHtml, imageHtml, option, raw, renderCodeBlock } from './rst-docutils.js'
import { lineOf, type RenderSession } from './rst-session.js'
import { listingPath, sliceIncluded } from './sources.js'

/*
 * Nikola's own roles and directives (nikola/plugins/compile/rest/, v8.2.0), with Nikola's HTML. Rendering a body is
 * pure (cached by content hash, run in threads), so whatever depends on the rest of the site is left as a
 * placeholder that site-links.ts resolves once every post is known: `link://…` URLs (which Nikola also resolves
 * late), `link://doc/<slug>` for `:doc:`, and `div[data-herald-post-list]` for `post-list`.
 */

const ALIGNMENTS = new Set(['left', 'center', 'right'])
const alignClass = (node: RstDirective) => {
  const align = option(node, 'align')?.trim() ?? ''
  return ALIGNMENTS.has(align) ? ` align-${align}` : ''
}

/** `.. youtube:: ID` → Nikola's iframe (youtube-nocookie, 560×315 unless given). */
export function youtubeHtml(id: string, width = '560', height = '315', align = ''): string {
  return (
    `<div class="youtube-video${align}">\n<iframe width="${escapeHtml(width)}" height="${escapeHtml(height)}" ` +
    `src="https://www.youtube-nocookie.com/embed/${escapeHtml(id)}?rel=0&amp;wmode=transparent" ` +
    'frameborder="0" allow="encrypted-media" allowfullscreen></iframe>\n</div>'
  )
}

/** `.. vimeo:: ID` → Nikola's iframe (281×500 when a size is missing: Nikola's offline fallback). */
export function vimeoHtml(id: string, width = '281', height = '500', align = ''): string {
  return (
    `<div class="vimeo-video${align}">\n<iframe src="https://player.vimeo.com/video/${escapeHtml(id)}" ` +
    `width="${escapeHtml(width)}" height="${escapeHtml(height)}" frameborder="0" webkitallowfullscreen="webkitAllowFullScreen" ` +
    'mozallowfullscreen="mozallowfullscreen" allowfullscreen="allowFullScreen">\n</iframe>\n</div>'
  )
}

/** `.. soundcloud:: ID` (`tracks`) or `soundcloud_playlist` (`playlists`) → Nikola's iframe, 600×160 by default. */
export function soundcloudHtml(id: string, kind: 'tracks' | 'playlists', width = '600', height = '160', align = ''): string {
  return (
    `<div class="soundcloud-player${align}">\n<iframe width="${escapeHtml(width)}" height="${escapeHtml(height)}" scrolling="no" ` +
    `frameborder="no" src="https://w.soundcloud.com/player/?url=http://api.soundcloud.com/${kind}/${escapeHtml(id)}">\n</iframe>\n</div>`
  )
}

/** `.. media:: URL`: Nikola asks oEmbed providers (network); Herald embeds the providers it knows and links the rest. */
export function mediaHtml(url: string): string {
  const youtube = /^https?:\/\/(?:www\.|m\.)?(?:youtube\.com\/(?:watch\?(?:.*&)?v=|embed\/)|youtu\.be\/)([\w-]{6,})/.exec(url)
  if (youtube) return youtubeHtml(youtube[1]!)
  const vimeo = /^https?:\/\/(?:www\.)?vimeo\.com\/(?:video\/)?(\d+)/.exec(url)
  if (vimeo) return vimeoHtml(vimeo[1]!)
  if (/^https?:\/\/(?:www\.)?soundcloud\.com\//.test(url)) {
    return (
      '<div class="soundcloud-player">\n<iframe width="600" height="160" scrolling="no" frameborder="no" ' +
      `src="https://w.soundcloud.com/player/?url=${encodeURIComponent(url)}">\n</iframe>\n</div>`
    )
  }
  return `<p><a class="reference external" href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`
}

/** Nikola's `split_explicit_title`: `Text <target>` → [text, target], else [null, text]. */
export function splitExplicitTitle(text: string): [string | null, string] {
  const match = /^(.+?)\s*(?<!\x00)<(.*?)>$/s.exec(text)
  return match ? [match[1]!, match[2]!] : [null, text]
}

/** Builds the Nikola directives and roles for one render. */
export function nikolaPlugin(session: RenderSession): RstCompilerPlugin {
  const writeBlock = (state: RstGeneratorState, html: string) => state.writeLineVisitor(() => state.writeText(html))
  const noContent = (node: RstDirective) => {
    if (node.children.length > 0 || (node.rawBodyText ?? '').trim() !== '')
      session.warn(node, `"${node.directive}" takes no content; the content is ignored (use :width:, :height:, :align: options)`)
  }
  return {
    onInstall(compiler) {
      compiler.useDirectiveGenerator({
        directives: ['youtube'],
        generate(state: RstGeneratorState, node: RstDirective) {
          noContent(node)
          writeBlock(
            state,
            youtubeHtml(argumentText(session, node), option(node, 'width') || '560', option(node, 'height') || '315', alignClass(node)),
          )
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['vimeo'],
        generate(state: RstGeneratorState, node: RstDirective) {
          noContent(node)
          const width = option(node, 'width')
          const height = option(node, 'height')
          // Nikola keeps the given size only when both are given (otherwise it asks vimeo.com, or falls back to 281×500).
          const sized = width && height ? [width.trim(), height.trim()] : ['281', '500']
          writeBlock(state, vimeoHtml(argumentText(session, node), sized[0], sized[1], alignClass(node)))
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['soundcloud', 'soundcloud_playlist'],
        generate(state: RstGeneratorState, node: RstDirective) {
          noContent(node)
          const kind = node.directive.toLowerCase() === 'soundcloud' ? 'tracks' : 'playlists'
          writeBlock(
            state,
            soundcloudHtml(
              argumentText(session, node),
              kind,
              option(node, 'width') || '600',
              option(node, 'height') || '160',
              alignClass(node),
            ),
          )
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['media'],
        generate(state: RstGeneratorState, node: RstDirective) {
          writeBlock(state, mediaHtml(argumentText(session, node).split(/\s+/)[0] ?? ''))
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['gist'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const argument = argumentText(session, node).split(/\s+/)[0] ?? ''
          const id = argument.includes('://') ? (argument.replace(/\/+$/, '').split('/').at(-1) ?? argument) : argument
          const file = option(node, 'file')?.trim()
          const url = `https://gist.github.com/${id}${file ? `#file-${file.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : ''}`
          const label = file ? `${file} (gist ${id})` : `gist ${id}`
          writeBlock(state, `<p class="gist"><a class="reference external" href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`)
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['chart'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const title = option(node, 'title')?.trim()
          const what = `${title ? `“${raw(title)}”` : 'A'} ${node.initContentText.trim().toLowerCase() || 'chart'}`.trim()
          writeBlock(
            state,
            `<div class="chart-note"><p>${escapeHtml(title ? `Chart ${what}` : `${what} chart`)}: ` +
              '<a class="reference external" href="link://self">see it on the post’s page</a>.</p></div>',
          )
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['thumbnail'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const uri = argumentText(session, node)
          const dot = uri.lastIndexOf('.')
          const base = dot > uri.lastIndexOf('/') ? `${uri.slice(0, dot)}.thumbnail${uri.slice(dot)}` : `${uri}.thumbnail`
          const thumbnail = uri.endsWith('.svg') ? `${base}?` : base
          const tag = imageHtml(node, thumbnail)
          const image = option(node, 'target') ? tag : `<a class="reference external image-reference" href="${escapeHtml(uri)}">${tag}</a>`
          if (node.children.length > 0) figureHtml(state, node, image)
          else state.writeLine(image)
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['listing'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const [name = '', language = ''] = argumentText(session, node).split(/\s+/)
          const file = listingPath(name)
          const text = session.files[file]
          if (text === undefined || text === null) {
            session.problem(node, `listing ${file} not found (listings are read from the site's listings/ folder)`, `listing ${name}`)
            return
          }
          const header =
            `<p><a class="reference external" href="link://listing/${escapeHtml(file)}">${escapeHtml(name)}</a>  ` +
            `<a class="reference external" href="link://listing_source/${escapeHtml(file)}">(Source)</a></p>`
          const code = sliceIncluded(text, {
            startLine: option(node, 'start-line'),
            endLine: option(node, 'end-line'),
            startAfter: option(node, 'start-after'),
            endBefore: option(node, 'end-before'),
          })
          const body = language
            ? renderCodeBlock(session, node, code, language)
            : `<pre class="literal-block">${escapeHtml(code.replace(/\t/g, '        '))}</pre>`
          writeBlock(state, `${header}\n${body}`)
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['post-list', 'post_list'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const options: Record<string, string> = {}
          for (const name of ['start', 'stop', 'reverse', 'sort', 'tags', 'require_all_tags', 'categories', 'slugs', 'post_type', 'type'])
            if (option(node, name) !== null) options[name] = raw(option(node, name)!)
          for (const name of ['sections', 'date', 'template', 'lang'])
            if (option(node, name) !== null) session.warn(node, `post-list option :${name}: is not supported; ignored`)
          writeBlock(
            state,
            `<div class="post-list" data-herald-post-list="${escapeHtml(JSON.stringify(options))}" ` +
              `data-herald-line="${lineOf(node)}"></div>`,
          )
        },
      })
      compiler.useInterpretedTextGenerator({
        roles: ['doc'],
        generate(state: RstGeneratorState, node: RstInterpretedText) {
          const [title, target] = splitExplicitTitle(raw(node.textContent))
          const [slug = '', fragment] = target.split('#', 2) as [string, string | undefined]
          state.writeText(
            `<a class="reference external" href="link://doc/${escapeHtml(encodeURIComponent(slug))}` +
              `${fragment ? `#${escapeHtml(fragment)}` : ''}" ` +
              `data-herald-doc="${title === null ? 'title' : 'text'}" data-herald-line="${lineOf(node)}">${escapeHtml(title ?? slug)}</a>`,
          )
        },
      })
      compiler.useInterpretedTextGenerator({
        roles: ['raw-html', 'html', 'sc'],
        generate(state: RstGeneratorState, node: RstInterpretedText & { rawTextContent?: string }) {
          state.writeText(raw(node.rawTextContent ?? node.textContent))
        },
      })
    },
  }
}

/** `.. role:: name(base)` declarations of a document, registered as roles before generation. */
export function customRolesPlugin(session: RenderSession, declarations: readonly RstDirective[]): RstCompilerPlugin {
  return {
    onInstall(compiler) {
      for (const node of declarations) {
        const match = /^([\w.:+-]+)\s*(?:\(\s*([\w.:+-]+)\s*\))?$/.exec(raw(node.initContentText.trim()))
        if (!match) {
          session.warn(node, `cannot read the role declaration "${node.initContentText.trim()}"`)
          continue
        }
        const name = match[1]!.toLowerCase()
        const base = match[2]?.toLowerCase() ?? null
        const classes = option(node, 'class') === null ? [name] : classNames(option(node, 'class'))
        const language = option(node, 'language')?.trim() ?? ''
        const format = option(node, 'format')?.trim().toLowerCase() ?? ''
        const inherited = base ? compiler.interpretedTextGenerators.get(base) : undefined
        if (base && !inherited && base !== 'code' && base !== 'raw')
          session.warn(node, `role "${name}" is based on the unknown role "${base}"`)
        compiler.useInterpretedTextGenerator({
          roles: [name],
          generate(state: RstGeneratorState, text: RstInterpretedText & { rawTextContent?: string }) {
            const content = raw(text.rawTextContent ?? text.textContent)
            if (base === 'raw') {
              if (format === 'html') state.writeText(content)
              return
            }
            if (base === 'code') {
              const highlighted = language ? session.codeBlock(node, content, language) : null
              const inner = highlighted
                ? highlighted
                    .replace(/^<pre[^>]*>|<\/pre>$/g, '')
                    .replace(/<a id="[^"]*" name="[^"]*" href="[^"]*"><\/a>/g, '')
                    .replace(/\n$/, '')
                : escapeHtml(content)
              const codeClasses = [...new Set([...(language ? [language] : []), ...classes])]
              state.writeText(`<code class="${escapeHtml(codeClasses.join(' '))}">${inner}</code>`)
              return
            }
            if (inherited) {
              state.writeText(`<span class="${escapeHtml(classes.join(' '))}">`)
              inherited.generate(state, text)
              state.writeText('</span>')
              return
            }
            state.writeText(`<span class="${escapeHtml(classes.join(' '))}">${escapeHtml(content)}</span>`)
          },
        })
      }
    },
  }
}
