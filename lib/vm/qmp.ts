import type net from 'node:net';
import { z } from 'zod';
import { LineDecoder } from './agent-protocol';
import { connectWhenReady } from './sockets';

/**
 * A client for QEMU's machine protocol (QMP): status, stop, cont, quit, migrate.
 *
 * QMP is line-delimited JSON. Commands carry an id; replies and asynchronous events (SHUTDOWN,
 * STOP, RESUME…) interleave on one socket, so replies are matched by id and events go to
 * `onEvent` listeners.
 */

const QmpMessageSchema = z.union([
  z.object({ QMP: z.unknown() }),
  z.object({ id: z.string(), return: z.unknown() }),
  z.object({ id: z.string().optional(), error: z.object({ class: z.string(), desc: z.string() }) }),
  z.object({ event: z.string(), data: z.record(z.string(), z.unknown()).optional() }),
]);

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class QmpClient {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private greeted!: Promise<void>;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    let onGreeting: () => void = () => {};
    this.greeted = new Promise((r) => {
      onGreeting = r;
    });
    const decoder = new LineDecoder(1024 * 1024, (line) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return;
      }
      const m = QmpMessageSchema.safeParse(raw);
      if (!m.success) return;
      const msg = m.data;
      if ('QMP' in msg) return onGreeting();
      if ('event' in msg) {
        for (const l of this.listeners) l({ event: msg.event, data: msg.data ?? {} });
        return;
      }
      const id = msg.id;
      const p = id === undefined ? undefined : this.pending.get(id);
      if (!p || id === undefined) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if ('error' in msg) p.reject(new QmpError(p.command, msg.error.class, msg.error.desc));
      else p.resolve(msg.return);
    });
    socket.on('data', (b: Buffer) => decoder.push(b));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`QMP connection closed during ${p.command}`));
        this.pending.delete(id);
      }
    });
  }

  /** Connects (waiting for QEMU to create the socket) and negotiates capabilities. */
  static async connect(path: string, timeoutMs: number, isAlive?: () => boolean): Promise<QmpClient> {
    const socket = await connectWhenReady(path, timeoutMs, isAlive);
    const client = new QmpClient(socket);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.greeted,
        new Promise((_, rej) => {
          timer = setTimeout(() => rej(new Error('no QMP greeting')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    await client.execute('qmp_capabilities');
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs one command; resolves with its `return` value (unparsed: callers validate). */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`QMP connection closed (${command})`));
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`);
    });
  }

  /** The VM's run state, e.g. 'running', 'paused', 'inmigrate', 'postmigrate'. */
  async status(): Promise<string> {
    const r = z.object({ status: z.string() }).parse(await this.execute('query-status'));
    return r.status;
  }

  /** Migration status, e.g. 'active', 'completed', 'failed'. */
  async migrationStatus(): Promise<string> {
    const r = z.object({ status: z.string().optional() }).parse(await this.execute('query-migrate'));
    return r.status ?? 'none';
  }

  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
