import { SaxesParser } from 'saxes'

/** Why a document is not well-formed XML, and where (1-based line, 0-based column as saxes counts). */
export interface XmlProblem {
  readonly line: number
  readonly column: number
  readonly message: string
}

/**
 * Parses `xml` with a conforming, namespace-aware parser (saxes) and returns the first well-formedness
 * problem, or null. Undeclared prefixes (`dc:creator` without `xmlns:dc`) count as problems, since feed
 * readers parse with namespaces on.
 */
export function checkXml(xml: string): XmlProblem | null {
  const parser = new SaxesParser({ xmlns: true })
  let problem: XmlProblem | null = null
  parser.on('error', (error: Error) => {
    // saxes prefixes its messages with "line:column: "; the location is kept separately.
    problem ??= { line: parser.line, column: parser.column, message: error.message.replace(/^[^:]*?:?\d+:\d+: /, '') }
  })
  parser.write(xml).close()
  return problem
}

/** `line 4, column 40: disallowed character.` */
export function formatXmlProblem(problem: XmlProblem): string {
  return `line ${problem.line}, column ${problem.column}: ${problem.message}`
}
