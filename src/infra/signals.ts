/** The signals that ask a Herald process to stop: a service manager's SIGTERM, a terminal's Ctrl-C. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']

/** Calls `handler` once, on the first stop signal; the returned function removes the handlers (call it when done). */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  const listener = (signal: NodeJS.Signals) => {
    remove()
    handler(signal)
  }
  const remove = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, listener)
  return remove
}

/** Resolves with the first stop signal received. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => onStopSignal(resolve))
}
