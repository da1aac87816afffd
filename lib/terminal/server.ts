import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Viewer } from '@/lib/auth/roles';
import type { LabSession } from '@/lib/vm';
import { BATCH_INTERVAL_MS, BATCH_MAX_BYTES, HIGH_WATER_BYTES, LOW_WATER_BYTES, parseClientMessage, type ServerMessage } from './protocol';

/**
 * The lab terminal socket: `GET /api/labs/sessions/<id>/terminal` upgraded to a WebSocket on the
 * app's own origin. The upgrade is refused (plain HTTP status, no socket) unless the Origin is
 * ours, the session cookie is valid, and the lab session belongs to that user. Then the VM's serial
 * console is bridged to the socket with batching and acknowledgement-based flow control (see
 * protocol.ts for why).
 */
export const TERMINAL_PATH = /^\/api\/labs\/sessions\/([A-Za-z0-9_-]{8,64})\/terminal$/;

export interface TerminalDeps {
  authenticate: (headers: Headers) => Promise<Viewer | null>;
  /** The viewer's own session; throws (any error) when it is not theirs or does not exist. */
  sessionFor: (viewer: Viewer, sessionId: string) => Promise<LabSession>;
  /** Origins allowed to open the socket, given the request's Host. */
  allowedOrigins: (host: string | undefined) => string[];
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function toHeaders(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') h.set(k, v);
    else if (Array.isArray(v)) for (const x of v) h.append(k, x);
  }
  return h;
}

/**
 * Handles an upgrade request if it is for the terminal; returns false for other paths (the
 * caller passes those on, e.g. to Next's dev server).
 */
export function createTerminalUpgradeHandler(deps: TerminalDeps) {
  // Frames up to 256 KiB reach the schema (and an oversized input is refused there, 1008); bigger ones are cut off by ws (1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = TERMINAL_PATH.exec(url.pathname);
    if (!match?.[1]) return false;
    const sessionId = match[1];
    void (async () => {
      const origin = req.headers.origin;
      if (!origin || !deps.allowedOrigins(req.headers.host).includes(origin)) return refuse(socket, 403, 'Forbidden');
      const viewer = await deps.authenticate(toHeaders(req)).catch(() => null);
      if (!viewer) return refuse(socket, 401, 'Unauthorized');
      let session: LabSession;
      try {
        session = await deps.sessionFor(viewer, sessionId);
      } catch {
        return refuse(socket, 404, 'Not Found');
      }
      wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, session));
    })().catch(() => refuse(socket, 500, 'Internal Server Error'));
    return true;
  };
}

const STATUS_TEXT: Record<string, string> = {
  stopped: 'Stopped.',
  'power-cut': 'Power was cut (the VM was killed).',
  poweroff: 'The guest powered off.',
  reboot: 'The guest rebooted; a lab VM ends when it reboots.',
  panic: 'The guest kernel panicked.',
  crashed: 'The VM crashed.',
  ttl: 'The session reached its time limit.',
  idle: 'The session ended after a long time with no input.',
};

function statusMessage(session: LabSession): ServerMessage {
  const info = session.info();
  if (info.state === 'ended') {
    return { t: 'status', state: 'ended', detail: STATUS_TEXT[info.endReason ?? 'stopped'] ?? 'Ended.', expiresAt: null };
  }
  return {
    t: 'status',
    state: info.state === 'running' ? 'ready' : 'starting',
    detail: info.state === 'running' ? 'Ready' : 'Starting the VM…',
    expiresAt: new Date(info.expiresAt).toISOString(),
  };
}

/** One browser tab ↔ one VM console. Several tabs may attach to the same session. */
function bridge(ws: WebSocket, session: LabSession): void {
  const con = session.vm.console;
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let unacked = 0;
  let paused = false;

  // Output is counted in UTF-16 code units (what the client's `data.length` sees), and decoded
  // with a StringDecoder so a character split across two console reads is not mangled.
  const decoder = new StringDecoder('utf8');
  const flush = () => {
    timer = undefined;
    if (pendingBytes === 0) return;
    const data = decoder.write(Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
    if (data.length === 0) return;
    unacked += data.length;
    send({ t: 'output', data });
    if (!paused && unacked > HIGH_WATER_BYTES) {
      paused = true;
      con.pause();
    }
  };

  send(statusMessage(session));
  // Resume where the screen was: a reload or a second tab sees the recent output first.
  const back = con.scrollback();
  if (back.length > 0) {
    const text = new StringDecoder('utf8').write(back);
    unacked += text.length;
    send({ t: 'output', data: text });
  }
  const unsubscribe = con.onData((chunk) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= BATCH_MAX_BYTES) flush();
    else timer ??= setTimeout(flush, BATCH_INTERVAL_MS);
  });

  let lastStatus = JSON.stringify(statusMessage(session));
  const watch = setInterval(() => {
    const m = statusMessage(session);
    const s = JSON.stringify(m);
    if (s !== lastStatus) {
      lastStatus = s;
      send(m);
    }
    if (m.t === 'status' && m.state === 'ended') {
      flush();
      send({ t: 'exit', reason: m.detail });
      ws.close(1000, 'session ended');
    }
  }, 1000);

  let resizeTimer: NodeJS.Timeout | undefined;
  ws.on('message', (raw, isBinary) => {
    const msg = isBinary ? null : parseClientMessage(raw.toString());
    if (!msg) {
      ws.close(1008, 'invalid message');
      return;
    }
    switch (msg.t) {
      case 'input':
        con.write(msg.data);
        break;
      case 'resize':
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(() => void session.vm.resize({ cols: msg.cols, rows: msg.rows }).catch(() => {}), 100);
        break;
      case 'ping':
        send({ t: 'pong', id: msg.id });
        break;
      case 'ack':
        unacked = Math.max(0, unacked - msg.bytes);
        if (paused && unacked < LOW_WATER_BYTES) {
          paused = false;
          con.resume();
        }
        break;
    }
  });
  ws.on('close', () => {
    unsubscribe();
    clearInterval(watch);
    clearTimeout(timer);
    clearTimeout(resizeTimer);
    if (paused) con.resume();
  });
  ws.on('error', () => ws.terminate());
}
