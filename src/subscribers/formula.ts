/**
 * Undoes a spreadsheet-safe escape (a `'` before `= + - @ TAB CR`): csv-stringify's `escape_formulas` (Herald's own exports), papaparse's
 * `escapeFormulae` in Ghost's exports.
 */
export function unescapeFormula(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell
}
