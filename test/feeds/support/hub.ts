import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A publish notice as a hub received it. */
export interface HubRequest {
  readonly method: string
  readonly contentType: string
  readonly form: Record<string, string>
}

/** A WebSub hub on 127.0.0.1:<random port> that records requests and answers `status`. */
export async function startHub(status = 204, delayMs = 0): Promise<{ url: string; requests: HubRequest[]; close: () => Promise<void> }> {
  const requests: HubRequest[] = []
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        contentType: request.headers['content-type'] ?? '',
        form: Object.fromEntries(new URLSearchParams(body)),
      })
      setTimeout(() => response.writeHead(status).end(), delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hub`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
