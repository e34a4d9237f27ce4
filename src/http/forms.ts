import { HttpError } from './errors.js'

/** Request body fields after checking: strings or lists of strings, none holding a line break. */
export type FormFields = Record<string, string | string[]>

const MAX_FIELDS = 200
const LINE_BREAK = /[\r\n\u0000]/

/**
 * Reads a parsed body (urlencoded, multipart or JSON) into {@link FormFields}. Anything else than strings
 * (numbers, nested objects) is a 400 `badInput`; a CR, LF or NUL in any value a 400 `lineBreak`, so no
 * input can ever end up splitting an email header.
 */
export function readFields(body: unknown, messages: { badInput: string; lineBreak: string }): FormFields {
  if (body === undefined || body === null || body === '') return {}
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, messages.badInput)
  const fields: FormFields = {}
  const entries = Object.entries(body as Record<string, unknown>)
  if (entries.length > MAX_FIELDS) throw new HttpError(400, messages.badInput)
  for (const [name, value] of entries) {
    const values = Array.isArray(value) ? value : [value]
    if (values.length > MAX_FIELDS || !values.every((item): item is string => typeof item === 'string'))
      throw new HttpError(400, messages.badInput)
    if (values.some((item) => LINE_BREAK.test(item))) throw new HttpError(400, messages.lineBreak)
    fields[name] = Array.isArray(value) ? values : values[0]!
  }
  return fields
}

/** One field as a single string ('' when absent); several values → 400. */
export function single(fields: FormFields, name: string, badInput: string): string {
  const value = fields[name]
  if (value === undefined) return ''
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0]!
    throw new HttpError(400, badInput)
  }
  return value
}

/** A field as a list (checkboxes send one value per box; JSON may send an array or a string). */
export function list(fields: FormFields, name: string): string[] {
  const value = fields[name]
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * Minimal `multipart/form-data` reader for RFC 8058 one-click requests (some mail providers send the
 * `List-Unsubscribe=One-Click` body this way). Text fields only; files are ignored.
 */
export function parseMultipartFields(body: string, contentType: string): Record<string, string | string[]> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const marker = boundary?.[1] ?? boundary?.[2]
  if (!marker) throw new HttpError(400, 'multipart body without a boundary')
  const fields: Record<string, string | string[]> = {}
  for (const part of body.split(`--${marker}`).slice(1)) {
    if (part.startsWith('--')) break
    const split = part.indexOf('\r\n\r\n')
    if (split < 0) continue
    const headers = part.slice(0, split)
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1]
    if (name === undefined || /filename=/i.test(headers)) continue
    const value = part.slice(split + 4).replace(/\r\n$/, '')
    const previous = fields[name]
    fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
  }
  return fields
}
