import { z } from 'zod';
import { ArchSchema, LabIdSchema } from '@/lib/schema';

/**
 * Everything that crosses into lib/vm from outside (a route, a WebSocket message, a lab
 * manifest) is parsed here first. Ids are restricted to a small alphabet because they end up in
 * file names, QEMU arguments and guest paths.
 */

export { ARCHES, type Arch, ArchSchema, LabIdSchema, SessionIdSchema } from '@/lib/schema';

/** Whoever owns a session (a user id from lib/auth). Opaque, but kept file-name safe. */
export const LearnerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'learner id must be 1–128 characters of A-Z a-z 0-9 _ -');

/** The login user of the lab shell. Only labs that truly need root get root (see README). */
export const LabUserSchema = z.enum(['student', 'root']);
export type LabUser = z.infer<typeof LabUserSchema>;

/** Absolute guest or disk path without `..`, quotes, spaces or shell metacharacters. */
export const SafePathSchema = z
  .string()
  .max(255)
  .regex(/^\/[A-Za-z0-9._/+-]*$/, 'path must be absolute and use only A-Z a-z 0-9 . _ / + -')
  .refine((p) => !p.split('/').includes('..'), 'path must not contain ..');

/** What a caller asks for when starting a VM. */
export const SessionSpecSchema = z.object({
  learnerId: LearnerIdSchema,
  labId: LabIdSchema,
  arch: ArchSchema,
  user: LabUserSchema.default('student'),
  /** vCPUs of the VM (lab.yaml `resources.vcpus`); each one counts against the global cap. */
  vcpus: z.number().int().min(1).max(4).default(1),
  /**
   * The lab's snapshot-time setup, by hash (images/manifest.ts labSetupHash): when the lab's own
   * snapshot was taken with this setup, the VM is restored from it with the setup already done
   * (`LabVm.setupFromSnapshot`); otherwise from the base snapshot of its shape, and the caller
   * runs the setup.
   */
  snapshotSetup: z.object({ hash: z.string().regex(/^[0-9a-f]{16}$/, 'setup hash must be 16 hex digits') }).optional(),
  /** A fresh ext4 disk for this session, mounted at /mnt/lab; seeded from a host folder. */
  disk: z
    .object({
      /** Host folder copied into the new file system (mkfs.ext4 -d); omitted: empty. */
      seedDir: z.string().min(1).optional(),
    })
    .optional(),
});
export type SessionSpecInput = z.input<typeof SessionSpecSchema>;
export type SessionSpec = z.output<typeof SessionSpecSchema>;

/** Options for one command run through the guest agent. */
export const ExecOptionsSchema = z.object({
  /** Wall-clock limit in the guest; the process group is SIGKILLed after it. */
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  /** Working directory in the guest (default: the user's home). */
  cwd: SafePathSchema.optional(),
  /** Guest account to run as (default root — graders gather evidence as root). */
  user: LabUserSchema.default('root'),
  /** Bytes fed to stdin. */
  stdin: z
    .string()
    .max(1024 * 1024)
    .optional(),
  /** Cap for stdout and for stderr, each; the rest is dropped and flagged as truncated. */
  maxOutput: z
    .number()
    .int()
    .min(0)
    .max(4 * 1024 * 1024)
    .default(64 * 1024),
});
export type ExecOptionsInput = z.input<typeof ExecOptionsSchema>;
export type ExecOptions = z.output<typeof ExecOptionsSchema>;

/** argv for a guest command: an array, never a shell string. */
export const ArgvSchema = z
  .array(
    z
      .string()
      .max(64 * 1024)
      .refine((a) => !a.includes('\0'), 'argument contains NUL'),
  )
  .min(1)
  .max(256);

/** Terminal size for resize messages: sane bounds so a hostile client cannot wedge stty. */
export const TerminalSizeSchema = z.object({
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(1000),
});
export type TerminalSize = z.infer<typeof TerminalSizeSchema>;
