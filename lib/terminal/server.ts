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
  /** How often an open socket re-checks its cookie (default AUTH_RECHECK_MS). */
  authRecheckMs?: number;
}

/** Sockets one lab session may have open at once (tabs); the newest wins. */
export const MAX_SOCKETS_PER_SESSION = 4;
/** Sockets one learner may have open over all their sessions; the newest wins. */
export const MAX_SOCKETS_PER_LEARNER = 8;
/** An open socket's session cookie is checked again this often: sign-out or expiry closes it. */
export const AUTH_RECHECK_MS = 10_000;
/**
 * A socket whose backlog holds the VM's console paused and that acknowledges nothing for this
 * long is closed: one tab that stopped reading must not freeze the session's other tabs.
 */
export const STALL_MS = 10_000;

/** Close codes (4000–4999 are the application's) with the reason the tab shows. */
export const CLOSE = {
  signedOut: { code: 4401, reason: 'signed out: sign in again to reach your lab' },
  stalled: { code: 4408, reason: 'this tab stopped acknowledging output' },
  replaced: { code: 4409, reason: 'the terminal was opened in too many tabs; this one was closed' },
} as const;

/** Open sockets by lab session and by learner, oldest first, for the caps. */
interface OpenSocket {
  ws: WebSocket;
  sessionId: string;
  learnerId: string;
  shut: (how: { code: number; reason: string }) => void;
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
  const open: OpenSocket[] = [];
  const admit = (entry: OpenSocket) => {
    open.push(entry);
    // Newest wins: past a cap, the oldest socket of that session (or learner) is closed with a reason.
    for (const [same, cap] of [
      [(o: OpenSocket) => o.sessionId === entry.sessionId, MAX_SOCKETS_PER_SESSION],
      [(o: OpenSocket) => o.learnerId === entry.learnerId, MAX_SOCKETS_PER_LEARNER],
    ] as const) {
      const mine = open.filter(same);
      for (const old of mine.slice(0, Math.max(0, mine.length - cap))) {
        open.splice(open.indexOf(old), 1);
        old.shut(CLOSE.replaced);
      }
    }
  };
  const forget = (ws: WebSocket) => {
    const i = open.findIndex((o) => o.ws === ws);
    if (i >= 0) open.splice(i, 1);
  };
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
      const headers = toHeaders(req);
      const stillSignedIn = async () => (await deps.authenticate(headers).catch(() => null))?.id === viewer.id;
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('close', () => forget(ws));
        const shut = bridge(ws, session, { stillSignedIn, authRecheckMs: deps.authRecheckMs ?? AUTH_RECHECK_MS });
        admit({ ws, sessionId: session.id, learnerId: viewer.id, shut });
      });
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

/**
 * One browser tab ↔ one VM console. Several tabs may attach to the same session; each has its own
 * flow control. Output (the scrollback first, then live output) goes into this socket's outbox
 * and is sent while fewer than HIGH_WATER characters are unacknowledged. A backlog holds the
 * console paused (for every tab: the guest's serial port is one) until it drains below
 * LOW_WATER; a tab that holds it for STALL_MS without acknowledging anything is closed.
 */
function bridge(
  ws: WebSocket,
  session: LabSession,
  auth: { stillSignedIn: () => Promise<boolean>; authRecheckMs: number },
): (how: { code: number; reason: string }) => void {
  const con = session.vm.console;
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Decoded output not yet sent, oldest first. */
  const outbox: string[] = [];
  let unacked = 0;
  let holding = false;
  let lastProgress = Date.now();

  const pump = () => {
    while (outbox.length > 0 && unacked < HIGH_WATER_BYTES && ws.readyState === ws.OPEN) {
      let data = outbox.shift() ?? '';
      if (data.length > BATCH_MAX_BYTES) {
        outbox.unshift(data.slice(BATCH_MAX_BYTES));
        data = data.slice(0, BATCH_MAX_BYTES);
      }
      unacked += data.length;
      send({ t: 'output', data });
    }
    const backlog = outbox.length > 0 || unacked > HIGH_WATER_BYTES;
    if (backlog && !holding) {
      holding = true;
      lastProgress = Date.now();
      con.pause(); // pauses nest: the console reads again once no tab holds it
    } else if (holding && outbox.length === 0 && unacked < LOW_WATER_BYTES) {
      holding = false;
      con.resume();
    }
  };

  // Output is counted in UTF-16 code units (what the client's `data.length` sees), and decoded
  // with a StringDecoder so a character split across two console reads is not mangled.
  const decoder = new StringDecoder('utf8');
  const flush = () => {
    timer = undefined;
    if (pendingBytes === 0) return;
    const data = decoder.write(Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
    if (data.length > 0) outbox.push(data);
    pump();
  };

  send(statusMessage(session));
  // Resume where the screen was: a reload or a second tab sees the recent output first, under the
  // same flow control as live output.
  const back = con.scrollback();
  if (back.length > 0) outbox.push(new StringDecoder('utf8').write(back));
  pump();
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
    if (holding && Date.now() - lastProgress > STALL_MS) shut(CLOSE.stalled);
  }, 1000);
  // Sign-out and session expiry end the database session; the socket follows within one period.
  const authWatch = setInterval(() => {
    void auth.stillSignedIn().then((ok) => {
      if (!ok) shut(CLOSE.signedOut);
    });
  }, auth.authRecheckMs);

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
        lastProgress = Date.now();
        pump();
        break;
    }
  });
  const cleanUp = () => {
    unsubscribe();
    clearInterval(watch);
    clearInterval(authWatch);
    clearTimeout(timer);
    clearTimeout(resizeTimer);
    outbox.length = 0;
    if (holding) con.resume();
    holding = false;
  };
  /**
   * Ends this socket now: the console is released at once (a client that stopped reading would
   * otherwise hold it until ws's close handshake times out), the close frame says why, and a peer
   * that never answers it is cut off.
   */
  function shut(how: { code: number; reason: string }): void {
    if (ws.readyState !== ws.OPEN) return;
    cleanUp();
    ws.close(how.code, how.reason);
    setTimeout(() => ws.terminate(), 2000).unref();
  }
  ws.on('close', cleanUp);
  ws.on('error', () => ws.terminate());
  return shut;
}
