declare module 'unidecode' {
  /** Transliterates Unicode text to ASCII with the Text::Unidecode tables Python's unidecode (and so Nikola) uses. */
  export default function unidecode(text: string): string
}
