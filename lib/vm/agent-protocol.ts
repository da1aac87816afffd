import { z } from 'zod';

/**
 * The guest agent's wire format (lib/vm/guest/agent.c is the other end).
 *
 * One JSON object per line in each direction over the virtio-serial port. Ids are strings chosen
 * by the host and echoed back, so several requests can be in flight. The host never trusts a
 * reply: each is parsed with zod, and a line longer than the decoder's limit is dropped instead
 * of buffered, so a misbehaving guest cannot grow server memory.
 *
 * Pure: no Node APIs, bytes in and out as Uint8Array.
 */

export type AgentRequestBody =
  | { op: 'ping' }
  | { op: 'sync'; sec: number; nsec: number; seed: string }
  | {
      op: 'exec';
      argv: string[];
      timeoutMs: number;
      maxOutput: number;
      user: string;
      cwd?: string;
      stdin?: string;
    };
export type AgentRequest = AgentRequestBody & { id: string };

/** One request line, newline included. JSON.stringify escapes every control character. */
export function encodeAgentRequest(req: AgentRequest): string {
  return `${JSON.stringify(req)}\n`;
}

export const ExecReplySchema = z.object({
  id: z.string(),
  exit: z.number().int(),
  signal: z.number().int(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
});
export const OkReplySchema = z.object({ id: z.string(), ok: z.literal(true) });
export const ErrorReplySchema = z.object({ id: z.union([z.string(), z.null()]), error: z.string() });
export const AgentReplySchema = z.union([ExecReplySchema, OkReplySchema, ErrorReplySchema]);
export type ExecReply = z.infer<typeof ExecReplySchema>;
export type AgentReply = z.infer<typeof AgentReplySchema>;

/** Parses one reply line; null when it is not a valid reply (logged by the caller, not thrown). */
export function decodeAgentReply(line: string): AgentReply | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = AgentReplySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** Hex of random bytes for the `sync` op's RNG seed. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Splits a byte stream into lines with a hard per-line limit. Bytes of an over-long line are
 * discarded up to its newline and reported once through `onOverflow`.
 */
export class LineDecoder {
  private parts: Uint8Array[] = [];
  private pending = 0;
  private discarding = false;
  private readonly text = new TextDecoder('utf-8', { fatal: false });

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void = () => {},
  ) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      if (!this.discarding) {
        this.append(chunk.subarray(start, i));
        if (!this.discarding) this.flush();
      }
      this.parts = [];
      this.pending = 0;
      this.discarding = false;
      start = i + 1;
    }
    if (start < chunk.length && !this.discarding) this.append(chunk.subarray(start));
  }

  /** Bytes currently held for an unfinished line (never more than maxLine). */
  get buffered(): number {
    return this.pending;
  }

  private append(bytes: Uint8Array): void {
    if (this.pending + bytes.length > this.maxLine) {
      this.parts = [];
      this.pending = 0;
      this.discarding = true;
      this.onOverflow();
      return;
    }
    if (bytes.length) {
      this.parts.push(bytes.slice());
      this.pending += bytes.length;
    }
  }

  private flush(): void {
    if (this.pending === 0) return;
    const all = new Uint8Array(this.pending);
    let off = 0;
    for (const p of this.parts) {
      all.set(p, off);
      off += p.length;
    }
    this.onLine(this.text.decode(all));
  }
}
