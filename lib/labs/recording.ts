import { getDb } from '@/lib/db';
import type { SessionInfo, SessionRecorder, VmStatus } from '@/lib/vm';

/**
 * The one place a lab session's life is written down (LabSession rows: who, which lab and arch,
 * when, how it ended), for progress and instructors. The session manager calls it; the VM itself
 * lives only in this process, on the runner `runnerId`.
 */
export function databaseRecorder(runnerId: string): SessionRecorder {
  return {
    async started(info: SessionInfo) {
      await getDb().labSession.create({
        data: {
          id: info.id,
          userId: info.learnerId,
          labId: info.labId,
          arch: info.arch,
          status: 'ready',
          runnerId,
          startedAt: new Date(info.createdAt),
          expiresAt: new Date(info.expiresAt),
        },
      });
    },
    async extended(info: SessionInfo) {
      await getDb()
        .labSession.update({ where: { id: info.id }, data: { expiresAt: new Date(info.expiresAt) } })
        .catch((err: unknown) => console.error('[kernel-map] could not record the extension of lab session', info.id, err));
    },
    async ended(info: SessionInfo, status: VmStatus) {
      await getDb()
        .labSession.update({
          where: { id: info.id },
          data: {
            status: 'ended',
            endReason: status.reason ?? 'stopped',
            endedAt: new Date(status.endedAt ?? Date.now()),
            // Also settles an extension whose own record failed.
            expiresAt: new Date(info.expiresAt),
          },
        })
        .catch((err: unknown) => console.error('[kernel-map] could not record the end of lab session', info.id, err));
    },
  };
}

/** Sessions a previous server process left marked live on this runner: their VMs died with it. */
export async function closeSessionsLeftByPreviousServer(runnerId: string, now: Date): Promise<void> {
  await getDb().labSession.updateMany({
    where: { runnerId, status: { not: 'ended' } },
    data: { status: 'ended', endReason: 'server-restart', endedAt: now },
  });
}
