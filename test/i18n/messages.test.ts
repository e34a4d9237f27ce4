import { describe, expect, it } from 'vitest'
import { CATALOGUES, messagesFor } from '../../src/i18n/messages.js'

const english = CATALOGUES.en!
const keys = Object.keys(english).sort()
/** `{site}`, `{email}`, `{count}` … that a message leaves for Herald to fill. */
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort()
const texts = (value: unknown): string[] =>
  typeof value === 'function' ? [1, 2, 3, 5, 11, 21, 104].map((count) => String(value(count, '12 January'))) : [String(value)]

describe("Herald's own words", () => {
  it('are shipped in English, Russian, German, Spanish, French and Chinese', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual(['de', 'en', 'es', 'fr', 'ru', 'zh'])
    expect(messagesFor('de-AT').unsubscribe).toBe('Abmelden')
    expect(messagesFor('zh-Hans').unsubscribe).toBe('退订')
    expect(messagesFor('pt').unsubscribe).toBe('Unsubscribe')
  })

  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    it(`${language}: every message exists, is not empty, keeps the placeholders, and is not left in English`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(keys)
      for (const key of keys) {
        const ours = texts((catalogue as unknown as Record<string, unknown>)[key])
        const theirs = texts((english as unknown as Record<string, unknown>)[key])
        ours.forEach((text, index) => {
          expect(text.trim(), `${language}.${key}`).not.toBe('')
          expect(text, `${language}.${key}`).not.toMatch(/undefined|NaN|\[object/)
          expect(placeholders(text), `${language}.${key}: placeholders`).toEqual(placeholders(theirs[index]!))
        })
      }
      if (language !== 'en') {
        // A few words that must differ from English in every other language (a catalogue copied and not translated).
        for (const key of ['confirmButton', 'unsubscribeReason', 'viewInBrowser', 'preferencesTitle', 'welcomeIntro'] as const) {
          expect(catalogue[key], `${language}.${key}`).not.toBe(english[key])
        }
      }
    })
  }
})
