import net from 'node:net';

/**
 * Connects to a unix socket that QEMU is about to create (`server=on,wait=off`), retrying
 * until it appears or `timeoutMs` passes. `isAlive` lets the caller stop early when QEMU exited.
 */
export async function connectWhenReady(path: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.createConnection({ path });
        s.once('connect', () => {
          s.removeListener('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline || !isAlive()) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
