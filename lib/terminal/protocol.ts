import { z } from 'zod';

/**
 * The lab terminal's wire protocol: JSON text frames over one WebSocket per lab session, shared by
 * the browser (app/components/LabWorkbench.tsx) and the server (lib/terminal/server.ts). Every
 * incoming frame is parsed with these schemas; anything else closes the socket with 1008.
 *
 * Flow control (why `ack` exists): the server batches console output and counts what it sent but
 * the client has not acknowledged, in characters (`data.length` of each output frame). The client
 * acknowledges after xterm has actually rendered a chunk. Past
 * HIGH_WATER unacknowledged bytes the server stops reading the VM's console, so the guest's serial
 * port blocks and `yes` slows to the speed the browser can draw — neither the browser nor server
 * memory grows. Reading resumes below LOW_WATER.
 */
export const HIGH_WATER_BYTES = 256 * 1024;
export const LOW_WATER_BYTES = 64 * 1024;
/** The client acknowledges at least every ACK_EVERY_BYTES characters of rendered output. */
export const ACK_EVERY_BYTES = 32 * 1024;
/** Output is flushed at most this often (ms) or when a batch reaches BATCH_MAX_BYTES. */
export const BATCH_INTERVAL_MS = 8;
export const BATCH_MAX_BYTES = 32 * 1024;
/** Largest input frame a client may send (a paste); bigger frames are refused. */
export const MAX_INPUT_CHARS = 16 * 1024;

export const clientMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('input'), data: z.string().min(1).max(MAX_INPUT_CHARS) }),
  z.strictObject({ t: z.literal('resize'), cols: z.int().min(10).max(500), rows: z.int().min(3).max(200) }),
  z.strictObject({ t: z.literal('ping'), id: z.int().min(0) }),
  z.strictObject({
    t: z.literal('ack'),
    bytes: z
      .int()
      .min(1)
      .max(HIGH_WATER_BYTES * 4),
  }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const sessionStateSchema = z.enum(['starting', 'ready', 'ended']);
export type SessionState = z.infer<typeof sessionStateSchema>;

export const serverMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('output'), data: z.string() }),
  z.strictObject({
    t: z.literal('status'),
    state: sessionStateSchema,
    /** What the learner sees: "Restoring the VM…", "Ready", "Ended: time limit reached". */
    detail: z.string(),
    expiresAt: z.string().nullable(),
  }),
  z.strictObject({ t: z.literal('exit'), reason: z.string() }),
  z.strictObject({ t: z.literal('pong'), id: z.int() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** Parses one incoming client frame; null when it is not a valid message. */
export function parseClientMessage(raw: string): ClientMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = clientMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Parses one incoming server frame (browser side); null when it is not a valid message. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = serverMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
