import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { XMLValidator } from 'fast-xml-parser'
import { SaxesParser } from 'saxes'
import { createLogger, type Logger } from '../../../src/log.js'
import { FIXTURES } from '../../support/site.js'

/** An element of a parsed document: qualified name, attributes, child elements and its own text (CDATA included). */
export interface XmlElement {
  readonly name: string
  readonly attributes: Record<string, string>
  readonly children: XmlElement[]
  text: string
}

/** Parses with saxes (namespace-aware, conforming); throws on the first well-formedness error. */
export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true })
  const stack: XmlElement[] = []
  let root: XmlElement | null = null
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {}
    for (const [name, attribute] of Object.entries(tag.attributes))
      attributes[name] = typeof attribute === 'string' ? attribute : attribute.value
    const element: XmlElement = { name: tag.name, attributes, children: [], text: '' }
    stack.at(-1)?.children.push(element)
    root ??= element
    stack.push(element)
  })
  parser.on('closetag', () => void stack.pop())
  parser.on('text', (text) => {
    const current = stack.at(-1)
    if (current) current.text += text
  })
  parser.on('cdata', (text) => {
    stack.at(-1)!.text += text
  })
  parser.write(xml).close()
  if (!root) throw new Error('no root element')
  return root
}

/** Every descendant element with this qualified name, in document order. */
export function elements(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = []
  const visit = (element: XmlElement) => {
    for (const child of element.children) {
      if (child.name === name) found.push(child)
      visit(child)
    }
  }
  visit(root)
  return found
}

/** The one child element with this name; throws when there is not exactly one. */
export function child(element: XmlElement, name: string): XmlElement {
  const matches = element.children.filter((candidate) => candidate.name === name)
  if (matches.length !== 1) throw new Error(`expected one <${name}> in <${element.name}>, found ${matches.length}`)
  return matches[0]!
}

/** fast-xml-parser's validator verdict: true, or the error message. */
export function fastXmlVerdict(xml: string): true | string {
  const verdict = XMLValidator.validate(xml)
  return verdict === true ? true : `${verdict.err.line}:${verdict.err.col}: ${verdict.err.msg}`
}

let jsonFeedValidator: ValidateFunction | null = null

/**
 * Validates against test/fixtures/specs/jsonfeed-1.1.schema.json. The schema is draft-04 (`id`, not `$id`), which
 * Ajv 8 no longer reads; the two schema files use no keyword whose meaning changed since, so they are loaded
 * with `id` renamed and `$schema` dropped. The 1.1 schema refers to the 1.0 one as `feed-1`.
 */
export function validateJsonFeed(document: unknown): string[] {
  if (!jsonFeedValidator) {
    const load = (file: string) => {
      const {
        $schema: _schema,
        id,
        ...rest
      } = JSON.parse(readFileSync(path.join(FIXTURES, 'specs', file), 'utf8')) as Record<string, unknown>
      return { $id: id, ...rest } as AnySchemaObject
    }
    const ajv = new Ajv({ allErrors: true, strictTypes: false, allowUnionTypes: true })
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
    addFormats(ajv)
    ajv.addSchema(load('jsonfeed-1.0.schema.json'))
    jsonFeedValidator = ajv.compile(load('jsonfeed-1.1.schema.json'))
  }
  if (jsonFeedValidator(document)) return []
  return (jsonFeedValidator.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`)
}

/** A logger that keeps its lines for assertions. */
export function memoryLogger(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const logger = createLogger({ verbosity: 'verbose', pretty: false, destination })
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string }),
  }
}
