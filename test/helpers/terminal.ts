import WebSocket from 'ws';
import type { ServerMessage } from '@/lib/terminal/protocol';

/**
 * A terminal client for tests: opens the lab socket like the browser does (cookie + Origin),
 * acknowledges output like xterm would, and collects the screen text.
 */
export class TerminalClient {
  readonly messages: ServerMessage[] = [];
  text = '';
  closed: { code: number; reason: string } | null = null;
  private constructor(
    readonly ws: WebSocket,
    ack = true,
  ) {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      this.messages.push(m);
      if (m.t === 'output') {
        this.text += m.data;
        if (ack) ws.send(JSON.stringify({ t: 'ack', bytes: m.data.length }));
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  /** Resolves with the client once open; rejects with the HTTP status when the upgrade is refused. */
  static open(
    baseUrl: string,
    sessionId: string,
    opts: { cookie?: string; origin?: string | null /** false: read output but never acknowledge it (a stuck tab). */; ack?: boolean } = {},
  ): Promise<TerminalClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/labs/sessions/${sessionId}/terminal`;
    const headers: Record<string, string> = {};
    if (opts.cookie) headers.cookie = opts.cookie;
    const origin = opts.origin === undefined ? baseUrl : opts.origin;
    if (origin) headers.origin = origin;
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TerminalClient(ws, opts.ack !== false)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  type(data: string): void {
    this.send({ t: 'input', data });
  }

  async waitForText(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text)) {
      if (Date.now() > deadline)
        throw new Error(`terminal did not show ${pattern} within ${timeoutMs} ms; it shows:\n${this.text.slice(-2000)}`);
      if (this.closed)
        throw new Error(
          `terminal closed (${this.closed.code} ${this.closed.reason}) before ${pattern}; it showed:\n${this.text.slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitForClose(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}
