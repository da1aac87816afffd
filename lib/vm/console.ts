import type net from 'node:net';
import { ByteRing } from './ring-buffer';

/**
 * The VM's serial console as a stream for a terminal.
 *
 * Memory is bounded whatever the guest prints and whoever listens:
 * - recent output is kept in a fixed ring (`scrollback`, for a terminal that reconnects);
 * - listeners get chunks as they arrive and never queue here;
 * - `pause()` stops reading the socket: QEMU's serial device then stops taking bytes and the
 *   guest's writer blocks in its tty — a `yes` in the guest stalls instead of flooding us.
 *   A WebSocket bridge pauses when its client falls behind and resumes on acknowledgement.
 * - input is dropped (write returns false) while more than `maxPendingInput` bytes wait.
 */
export interface ConsoleStream {
  /** Receives every chunk of guest output from now on; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Sends keystrokes to the guest; false when dropped because input is backed up. */
  write(data: string | Uint8Array): boolean;
  /** Flow control: stop / restart reading guest output. Pauses nest (one resume per pause). */
  pause(): void;
  resume(): void;
  /** The most recent output (up to the ring's capacity), oldest first. */
  scrollback(): Buffer;
  /** Total bytes of output received. */
  readonly bytesReceived: number;
  /**
   * When the learner was last really active (ms since epoch); drives the idle limit. A minute
   * counts as active once ACTIVE_CHARS_PER_MINUTE typed characters arrived in it — a lone
   * keystroke now and then, or the terminal's own automatic answers (escape sequences), do not
   * keep a VM alive.
   */
  readonly lastInputAt: number;
  /** Resolves when the output seen since the call (or the recent tail) matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g;

/** Typed characters (escape sequences not counted) that make a minute of input real activity. */
export const ACTIVE_CHARS_PER_MINUTE = 6;

/** The characters of an input frame a person typed: escape sequences (a terminal's automatic answers, arrow keys) removed. */
export function typedChars(data: string): number {
  return data.replace(ANSI_INPUT, '').length;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences
const ANSI_INPUT = /\x1b\[[0-9;?]*[A-Za-z~]|\x1bO[A-Za-z]|\x1b/g;

/** Strips terminal escapes and carriage returns, for matching prompts in output. */
export function plainText(s: string): string {
  return s.replace(ANSI, '');
}

export class SocketConsole implements ConsoleStream {
  private readonly ring: ByteRing;
  private readonly listeners = new Set<(chunk: Buffer) => void>();
  private tail = '';
  private pauses = 0;
  private waiters = new Set<{ pattern: RegExp; resolve: () => void }>();
  lastInputAt: number;

  constructor(
    private readonly socket: net.Socket,
    opts: { scrollbackBytes?: number; maxPendingInput?: number; now?: () => number } = {},
  ) {
    this.ring = new ByteRing(opts.scrollbackBytes ?? 256 * 1024);
    this.maxPendingInput = opts.maxPendingInput ?? 64 * 1024;
    this.now = opts.now ?? Date.now;
    this.lastInputAt = this.now();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
  }

  private readonly maxPendingInput: number;
  private readonly now: () => number;

  private receive(chunk: Buffer): void {
    this.ring.write(chunk);
    this.tail = (this.tail + chunk.toString('latin1')).slice(-4096);
    if (this.waiters.size) {
      const text = plainText(this.tail);
      for (const w of this.waiters) if (w.pattern.test(text)) w.resolve();
    }
    for (const l of this.listeners) l(chunk);
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(data: string | Uint8Array): boolean {
    if (this.socket.destroyed || this.socket.writableLength > this.maxPendingInput) return false;
    const now = this.now();
    if (now - this.minuteStart >= 60_000) {
      this.minuteStart = now;
      this.minuteChars = 0;
    }
    this.minuteChars += typedChars(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'));
    if (this.minuteChars >= ACTIVE_CHARS_PER_MINUTE) this.lastInputAt = now;
    this.socket.write(data);
    return true;
  }

  private minuteStart = 0;
  private minuteChars = 0;

  pause(): void {
    if (this.pauses++ === 0) this.socket.pause();
  }

  resume(): void {
    if (this.pauses === 0) return;
    if (--this.pauses === 0) this.socket.resume();
  }

  scrollback(): Buffer {
    return Buffer.from(this.ring.contents());
  }

  get bytesReceived(): number {
    return this.ring.total;
  }

  /** The last 4 KiB of output as text (latin1), for status detection such as panics. */
  recentText(): string {
    return this.tail;
  }

  /** Forgets the tail so the next waitFor only matches new output. */
  markTail(): void {
    this.tail = '';
  }

  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(plainText(this.tail))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(
          new Error(
            `console: ${pattern} not seen within ${timeoutMs} ms; last output: ${JSON.stringify(plainText(this.tail).slice(-300))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
