'use client';

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import '@fontsource/jetbrains-mono/400.css';
import '@fontsource/jetbrains-mono/700.css';
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';
import type { LabSessionView as SessionView } from '@/lib/labs';
import { ACK_EVERY_BYTES, type ClientMessage, MAX_INPUT_CHARS, parseServerMessage } from '@/lib/terminal/protocol';
import { LabTasks, type LabTaskView } from './LabTasks';

type Arch = 'x86_64' | 'aarch64';

type Phase =
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'connecting' }
  | { kind: 'stopping' }
  | { kind: 'ready' }
  | { kind: 'ended'; reason: string }
  | { kind: 'error'; message: string };

const TERMINAL_FONT_SIZE = 14;

const ARCH_LABEL: Record<Arch, string> = { x86_64: 'x86_64', aarch64: 'ARM64 (aarch64)' };

function formatLeft(ms: number): string {
  if (ms <= 0) return '0:00';
  const m = Math.floor(ms / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  return `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * Creates the xterm in `host` (once its font has loaded) and wires keystrokes and resizes to the
 * socket in `refs.socket`; returns the teardown.
 */
function openTerminal(
  host: HTMLDivElement,
  refs: { term: RefObject<Terminal | null>; fit: RefObject<FitAddon | null>; socket: RefObject<WebSocket | null> },
): () => void {
  const t = new Terminal({
    convertEol: false,
    cursorBlink: true,
    fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", monospace',
    fontSize: TERMINAL_FONT_SIZE,
    lineHeight: 1.2,
    scrollback: 5000,
    theme: { background: '#0f1214', foreground: '#e6e6e3', cursor: '#5cc3a6' },
  });
  const f = new FitAddon();
  t.loadAddon(f);
  t.open(host);
  f.fit();
  refs.term.current = t;
  refs.fit.current = f;
  const send = (m: ClientMessage) => {
    if (refs.socket.current?.readyState === WebSocket.OPEN) refs.socket.current.send(JSON.stringify(m));
  };
  // A large paste goes in frames the server accepts.
  const input = t.onData((data) => {
    for (let i = 0; i < data.length; i += MAX_INPUT_CHARS) send({ t: 'input', data: data.slice(i, i + MAX_INPUT_CHARS) });
  });
  const resized = t.onResize(({ cols, rows }) => send({ t: 'resize', cols, rows }));
  const ro = new ResizeObserver(() => {
    try {
      f.fit();
    } catch {
      // not visible yet
    }
  });
  ro.observe(host);
  return () => {
    ro.disconnect();
    input.dispose();
    resized.dispose();
    t.dispose();
    refs.term.current = null;
  };
}

/**
 * The lab pane: architecture switch, session controls and an xterm.js terminal bridged to the
 * VM's serial console over the terminal WebSocket (lib/terminal/protocol.ts). A reload finds the
 * same VM: the page passes the learner's running session in, and the socket replays recent output.
 */
export function LabWorkbench({
  labId,
  arches,
  initial,
  tasks = [],
}: {
  labId: string;
  arches: Arch[];
  initial: SessionView | null;
  tasks?: LabTaskView[];
}) {
  const [arch, setArch] = useState<Arch>(initial?.arch ?? arches[0] ?? 'x86_64');
  // A session still `starting` (its setup is running, e.g. the page was reloaded meanwhile) is not
  // attached to: the start request below waits for it to be ready, then the terminal connects.
  const [session, setSession] = useState<SessionView | null>(initial?.state === 'running' ? initial : null);
  const [phase, setPhase] = useState<Phase>(
    initial?.state === 'running' ? { kind: 'connecting' } : initial?.state === 'starting' ? { kind: 'starting' } : { kind: 'idle' },
  );
  const [expiresAt, setExpiresAt] = useState<number | null>(initial ? Date.parse(initial.expiresAt) : null);
  // null until mounted: the server's clock and the browser's differ, and the time left must not
  // differ between the server's HTML and the first client render (a hydration mismatch).
  const [now, setNow] = useState<number | null>(null);
  const termHost = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);
  const socket = useRef<WebSocket | null>(null);
  /** The terminal is created once its font has loaded; the socket waits for it. */
  const [terminalReady, setTerminalReady] = useState(false);

  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  // One xterm for the life of the page. xterm measures its cell once, from the font it is given:
  // with a fallback font the cell can be too short for the glyphs (underscores vanished at 1×), so
  // the bundled JetBrains Mono is loaded first, and the line height leaves room below the baseline.
  useEffect(() => {
    const host = termHost.current;
    if (!host) return;
    let disposed = false;
    let cleanup = () => {};
    void Promise.all([
      document.fonts.load(`${TERMINAL_FONT_SIZE}px "JetBrains Mono"`),
      document.fonts.load(`bold ${TERMINAL_FONT_SIZE}px "JetBrains Mono"`),
    ])
      .catch(() => [])
      .then(() => {
        if (disposed) return;
        cleanup = openTerminal(host, { term, fit, socket });
        setTerminalReady(true);
      });
    return () => {
      disposed = true;
      cleanup();
    };
  }, []);

  // The socket for the current session; reconnects after a drop unless the session ended.
  useEffect(() => {
    if (!session || !terminalReady) return;
    let closedByUs = false;
    let attempts = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(`${proto}//${window.location.host}/api/labs/sessions/${session.id}/terminal`);
      socket.current = ws;
      let unacked = 0;
      let ended = false;
      ws.onopen = () => {
        attempts = 0;
        const t = term.current;
        if (t) {
          t.reset();
          ws.send(JSON.stringify({ t: 'resize', cols: t.cols, rows: t.rows } satisfies ClientMessage));
          t.focus();
        }
      };
      ws.onmessage = (ev) => {
        const msg = typeof ev.data === 'string' ? parseServerMessage(ev.data) : null;
        if (!msg) return;
        if (msg.t === 'output') {
          const n = msg.data.length;
          term.current?.write(msg.data, () => {
            unacked += n;
            if (unacked >= ACK_EVERY_BYTES) {
              ws.send(JSON.stringify({ t: 'ack', bytes: unacked } satisfies ClientMessage));
              unacked = 0;
            }
          });
        } else if (msg.t === 'status') {
          if (msg.expiresAt) setExpiresAt(Date.parse(msg.expiresAt));
          if (msg.state === 'ready') setPhase({ kind: 'ready' });
          else if (msg.state === 'starting') setPhase({ kind: 'starting' });
          else {
            ended = true;
            setPhase({ kind: 'ended', reason: msg.detail });
          }
        } else if (msg.t === 'exit') {
          ended = true;
          setPhase({ kind: 'ended', reason: msg.reason });
        }
      };
      ws.onclose = (ev) => {
        if (closedByUs || ended) return;
        // The server closed this tab for a reason reconnecting would not fix (lib/terminal/server.ts CLOSE).
        if (ev.code === 4401 || ev.code === 4409) {
          setPhase({ kind: 'error', message: `Terminal closed: ${ev.reason}. Reload the page to reconnect.` });
          return;
        }
        attempts += 1;
        if (attempts > 5) {
          setPhase({ kind: 'error', message: 'Lost the connection to the VM. Reload the page to try again.' });
          return;
        }
        setPhase({ kind: 'connecting' });
        retry = setTimeout(connect, Math.min(4000, 500 * attempts));
      };
    };
    setPhase((p) => (p.kind === 'ready' ? p : { kind: 'connecting' }));
    connect();
    return () => {
      closedByUs = true;
      clearTimeout(retry);
      socket.current?.close();
      socket.current = null;
    };
  }, [session, terminalReady]);

  const start = useCallback(
    async (which: Arch) => {
      setPhase({ kind: 'starting' });
      term.current?.reset();
      term.current?.write(`Starting a fresh ${ARCH_LABEL[which]} VM…\r\n`);
      try {
        const { session: s } = await api.post<{ session: SessionView }>('/api/labs/sessions', { labId, arch: which });
        setExpiresAt(Date.parse(s.expiresAt));
        setSession(s);
      } catch (err) {
        setPhase({ kind: 'error', message: errorMessage(err) });
      }
    },
    [labId],
  );

  const resumedStart = useRef(false);
  useEffect(() => {
    if (initial?.state !== 'starting' || resumedStart.current) return;
    resumedStart.current = true;
    void start(initial.arch);
  }, [initial, start]);

  const stop = useCallback(async () => {
    if (!session) return;
    const id = session.id;
    setSession(null);
    setPhase({ kind: 'stopping' });
    try {
      await api.delete(`/api/labs/sessions/${id}`);
      setPhase({ kind: 'ended', reason: 'Stopped.' });
    } catch (err) {
      setPhase({ kind: 'error', message: errorMessage(err) });
    }
  }, [session]);

  const reset = useCallback(async () => {
    await stop();
    await start(arch);
  }, [stop, start, arch]);

  // Switching while a VM runs replaces it: the learner's shell state would be lost, so ask first.
  const switchArch = useCallback(
    async (next: Arch) => {
      if (session && session.arch !== next) {
        const ok = window.confirm(
          `Switch to ${ARCH_LABEL[next]}? This stops the running ${ARCH_LABEL[session.arch]} VM, and everything in its shell is lost.`,
        );
        if (!ok) return;
        setArch(next);
        await stop();
        await start(next);
        return;
      }
      setArch(next);
    },
    [session, stop, start],
  );

  const extend = useCallback(async () => {
    if (!session) return;
    try {
      const { session: s } = await api.post<{ session: SessionView }>(`/api/labs/sessions/${session.id}/extend`);
      setExpiresAt(Date.parse(s.expiresAt));
    } catch (err) {
      setPhase({ kind: 'error', message: errorMessage(err) });
    }
  }, [session]);

  const live = session !== null && (phase.kind === 'ready' || phase.kind === 'connecting' || phase.kind === 'starting');
  const left = expiresAt && now !== null ? expiresAt - now : null;
  const statusText =
    phase.kind === 'idle'
      ? 'No VM running.'
      : phase.kind === 'starting'
        ? 'Starting the VM…'
        : phase.kind === 'connecting'
          ? 'Connecting to the VM…'
          : phase.kind === 'stopping'
            ? 'Stopping the VM…'
            : phase.kind === 'ready' && session
              ? `Ready — ${ARCH_LABEL[session.arch]}`
              : phase.kind === 'ready'
                ? 'Ready'
                : phase.kind === 'ended'
                  ? `Ended: ${phase.reason}`
                  : phase.message;

  return (
    <div className="stack">
      <section className="workbench" aria-label="Lab terminal">
        <div className="workbench-bar">
          <fieldset className="arch-switch">
            <legend className="sr-only">Architecture</legend>
            {arches.map((a) => (
              <label key={a} className={arch === a ? 'on' : undefined}>
                <input type="radio" name="arch" value={a} checked={arch === a} onChange={() => void switchArch(a)} />
                {ARCH_LABEL[a]}
              </label>
            ))}
          </fieldset>
          <p className={`lab-status lab-status-${phase.kind}`} role="status" aria-live="polite" data-testid="lab-status">
            {(phase.kind === 'starting' || phase.kind === 'connecting' || phase.kind === 'stopping') && (
              <span className="spinner" aria-hidden="true" />
            )}
            {statusText}
          </p>
          {live && left !== null && (
            <span className="muted time-left" title="Time left in this session">
              {formatLeft(left)} left
            </span>
          )}
          <div className="workbench-actions">
            {live ? (
              <>
                <button type="button" className="btn btn-small" onClick={() => void extend()}>
                  +30 min
                </button>
                <button type="button" className="btn btn-small" onClick={() => void reset()}>
                  Reset
                </button>
                <button type="button" className="btn btn-small" onClick={() => void stop()}>
                  Stop
                </button>
              </>
            ) : (
              <button
                type="button"
                className="btn btn-primary btn-small"
                onClick={() => void start(arch)}
                disabled={phase.kind === 'starting'}
              >
                Start {ARCH_LABEL[arch]} VM
              </button>
            )}
          </div>
        </div>
        <div className="terminal-host" ref={termHost} data-testid="terminal" />
      </section>
      {tasks.length > 0 && <LabTasks labId={labId} sessionId={live && session ? session.id : null} tasks={tasks} />}
    </div>
  );
}
