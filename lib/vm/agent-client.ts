import type net from 'node:net';
import { type AgentRequestBody, decodeAgentReply, type ExecReply, encodeAgentRequest, LineDecoder, toHex } from './agent-protocol';
import { ArgvSchema, type ExecOptions, type ExecOptionsInput, ExecOptionsSchema } from './schema';
import { connectWhenReady } from './sockets';

/** What a command run through the agent produced. */
export interface ExecResult {
  /** Exit status, or -1 when killed by a signal. */
  exitCode: number;
  /** Terminating signal number, 0 if it exited normally. */
  signal: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
}

export class AgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Host-side slack on top of a command's own timeout before the host gives up on the reply. */
const REPLY_GRACE_MS = 5_000;

type Waiter = { resolve: (r: ExecReply | 'ok') => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * Talks to kmap-agent over the chardev socket of its virtio-serial port.
 * Several requests may be in flight; replies are matched by id.
 */
export class AgentClient {
  private nextId = 1;
  private readonly waiting = new Map<string, Waiter>();

  private constructor(private readonly socket: net.Socket) {
    // A reply holds at most 2 × 4 MiB of output, JSON-escaped (≤ 6×): anything longer is hostile.
    const decoder = new LineDecoder(50 * 1024 * 1024, (line) => this.onLine(line));
    socket.on('data', (b: Buffer) => decoder.push(b));
    socket.on('error', () => {});
    socket.on('close', () => this.failAll(new AgentError('agent connection closed')));
  }

  static async connect(path: string, timeoutMs: number, isAlive?: () => boolean): Promise<AgentClient> {
    return new AgentClient(await connectWhenReady(path, timeoutMs, isAlive));
  }

  private onLine(line: string): void {
    const reply = decodeAgentReply(line);
    if (!reply || reply.id === null) return;
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    clearTimeout(w.timer);
    if ('error' in reply) w.reject(new AgentError(`agent: ${reply.error}`));
    else if ('ok' in reply) w.resolve('ok');
    else w.resolve(reply);
  }

  private failAll(e: Error): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(e);
      this.waiting.delete(id);
    }
  }

  private request(req: AgentRequestBody, timeoutMs: number): Promise<ExecReply | 'ok'> {
    if (this.socket.destroyed) return Promise.reject(new AgentError('agent connection closed'));
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new AgentError(`agent did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.socket.write(encodeAgentRequest({ ...req, id }));
    });
  }

  /** Resolves when the agent answers; used to know a restored VM is ready. */
  async ping(timeoutMs = 5_000): Promise<void> {
    await this.request({ op: 'ping' }, timeoutMs);
  }

  /** Sets the guest's wall clock and reseeds its CRNG (every clone of a snapshot shares both). */
  async sync(now: Date, seed: Uint8Array, timeoutMs = 5_000): Promise<void> {
    const ms = now.getTime();
    await this.request({ op: 'sync', sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000, seed: toHex(seed) }, timeoutMs);
  }

  /**
   * Runs argv in the guest (as root unless opts.user says otherwise).
   * @example await agent.exec(['cat', '/proc/pressure/cpu'], { timeoutMs: 2000 })
   */
  async exec(argv: readonly string[], options: ExecOptionsInput = {}): Promise<ExecResult> {
    const args = ArgvSchema.parse(argv);
    const o: ExecOptions = ExecOptionsSchema.parse(options);
    const r = await this.request(
      {
        op: 'exec',
        argv: args,
        timeoutMs: o.timeoutMs,
        maxOutput: o.maxOutput,
        user: o.user,
        ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
        ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
      },
      o.timeoutMs + REPLY_GRACE_MS,
    );
    if (r === 'ok') throw new AgentError('agent answered exec with ok');
    return {
      exitCode: r.exit,
      signal: r.signal,
      timedOut: r.timedOut,
      stdout: r.stdout,
      stderr: r.stderr,
      stdoutTruncated: r.stdoutTruncated,
      stderrTruncated: r.stderrTruncated,
      durationMs: r.durationMs,
    };
  }

  close(): void {
    this.socket.destroy();
    this.failAll(new AgentError('agent connection closed'));
  }
}
