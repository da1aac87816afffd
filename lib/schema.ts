import { z } from 'zod';

/**
 * Small zod pieces used across layers (content, VMs, labs, routes), kept in one place so a rule
 * is written once. Pure: importable from client code too.
 */

/** Guest architectures a lab can run on; the names users see and URLs carry. */
export const ArchSchema = z.enum(['x86_64', 'aarch64']);
export type Arch = z.infer<typeof ArchSchema>;
export const ARCHES: readonly Arch[] = ArchSchema.options;

/** A lab id: the folder name under labs/. Same alphabet as content ids (they end up in paths). */
export const LabIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lab id must be 1–48 characters of a-z, 0-9 and -, not starting with -');

/** Lab session ids: random, URL-safe (16 random bytes as base64url is 22 characters). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const SessionIdSchema = z.string().regex(SESSION_ID_PATTERN, 'malformed session id');

/** A user id (better-auth's random ids; tests use short ones): in admin and cohort URLs. */
export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'malformed user id');

/** `lesson-id#anchor` → its two halves (anchor '' when absent). Cards and quiz nodes link this way. */
export function splitLessonRef(ref: string): { lessonId: string; anchor: string } {
  const i = ref.indexOf('#');
  return i < 0 ? { lessonId: ref, anchor: '' } : { lessonId: ref.slice(0, i), anchor: ref.slice(i + 1) };
}

/** A zod error as one line, `path: message; path: message` — for logs and thrown config errors. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
