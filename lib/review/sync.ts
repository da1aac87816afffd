import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { ApiError, api } from '@/lib/api-client';
import type { ReviewResult } from '@/lib/srs/index';

/**
 * Browser side of "never waits, never loses" (client-only; imports idb, not lib/db).
 *
 * Every rating is first written to IndexedDB (the outbox), then sent in the order it was made.
 * The UI never waits for the server: it moves to the next card as soon as the outbox write
 * resolves. Invariants:
 *  - a rating leaves the outbox only when the server answered for it: applied, already applied
 *    (a retry — the client-made id makes the server apply it once), or refused for good (409: a
 *    later review of the card won; 404/422: can never apply) — the last two are reported;
 *  - no answer (offline, dropped connection, 5xx, a proxy's HTML) keeps it and retries with
 *    back-off, and at once when the browser says it is online again;
 *  - one request at a time, in order, so an undo never overtakes the rating it takes back.
 */

export interface PendingReview {
  clientReviewId: string;
  userId: string;
  cardId: string;
  rating: 1 | 2 | 3 | 4;
  reviewedAt: string;
  durationMs?: number;
}

interface OutboxSchema extends DBSchema {
  outbox: { key: string; value: PendingReview & { seq: number }; indexes: { byUser: string } };
}

export interface SyncStatus {
  /** False until the outbox left by earlier visits has been read. */
  loaded: boolean;
  /** Ratings written in this browser and not yet acknowledged by the server. */
  waiting: number;
  /** The last attempt failed for lack of an answer. */
  offline: boolean;
  /** Ratings the server refused for good (stale or unknown card), with why. */
  refused: { cardId: string; message: string }[];
}

export interface RateAnswer {
  review: ReviewResult;
  next: unknown[];
}

type Listener = (s: SyncStatus) => void;

const DB_NAME = 'kernel-map-review';

export class ReviewSync {
  private db: Promise<IDBPDatabase<OutboxSchema>>;
  private chain: Promise<unknown> = Promise.resolve();
  private status: SyncStatus = { loaded: false, waiting: 0, offline: false, refused: [] };
  private listeners = new Set<Listener>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private backoffMs = 1000;
  private seq = Date.now();
  /** Rating ids the server has acknowledged in this page's life (undo needs to know). */
  private acknowledged = new Set<string>();

  constructor(
    private readonly userId: string,
    private readonly onAnswer: (a: RateAnswer) => void,
  ) {
    this.db = openDB<OutboxSchema>(DB_NAME, 1, {
      upgrade(db) {
        const store = db.createObjectStore('outbox', { keyPath: 'clientReviewId' });
        store.createIndex('byUser', 'userId');
      },
    });
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
  }

  private onOnline = () => {
    this.backoffMs = 1000;
    this.flush();
  };

  /** Stops timers and listeners (the page is leaving). Pending ratings stay in IndexedDB. */
  dispose(): void {
    clearTimeout(this.retryTimer);
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    this.listeners.clear();
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.status);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...patch };
    for (const fn of this.listeners) fn(this.status);
  }

  private async pending(): Promise<(PendingReview & { seq: number })[]> {
    const all = await (await this.db).getAllFromIndex('outbox', 'byUser', this.userId);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** Loads what an earlier visit left waiting and starts sending it. */
  async resume(): Promise<void> {
    this.set({ loaded: true, waiting: (await this.pending()).length });
    this.flush();
  }

  /** Keeps a rating durably in this browser, then sends it behind the UI. */
  async add(review: PendingReview): Promise<void> {
    this.seq += 1;
    await (await this.db).put('outbox', { ...review, seq: this.seq });
    this.set({ waiting: this.status.waiting + 1 });
    this.flush();
  }

  /**
   * Takes back a rating. Still waiting here → it is simply removed (the server never saw it);
   * already acknowledged → the server restores the card and deletes the log row. Queued behind
   * any send in flight, so it cannot race the rating it undoes.
   */
  undo(clientReviewId: string): Promise<'local' | 'server'> {
    return this.enqueue(async () => {
      const db = await this.db;
      if (await db.get('outbox', clientReviewId)) {
        await db.delete('outbox', clientReviewId);
        this.set({ waiting: Math.max(0, this.status.waiting - 1) });
        return 'local' as const;
      }
      await api.delete(`/api/reviews/${encodeURIComponent(clientReviewId)}`);
      this.acknowledged.delete(clientReviewId);
      return 'server' as const;
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends everything waiting, in order; stops at the first rating that got no answer. */
  flush(): void {
    clearTimeout(this.retryTimer);
    void this.enqueue(async () => {
      const db = await this.db;
      for (const item of await this.pending()) {
        const { seq: _seq, userId: _user, ...body } = item;
        try {
          const answer = await api.post<RateAnswer>('/api/reviews', body);
          this.acknowledged.add(item.clientReviewId);
          await db.delete('outbox', item.clientReviewId);
          this.set({ waiting: Math.max(0, this.status.waiting - 1), offline: false });
          this.backoffMs = 1000;
          this.onAnswer(answer);
        } catch (err) {
          if (err instanceof ApiError && (err.status === 409 || err.status === 404 || err.status === 422)) {
            await db.delete('outbox', item.clientReviewId);
            this.set({
              waiting: Math.max(0, this.status.waiting - 1),
              refused: [...this.status.refused, { cardId: item.cardId, message: err.message }],
            });
            continue;
          }
          // No usable answer: keep it, try again later.
          this.set({ offline: true });
          this.retryTimer = setTimeout(() => this.flush(), this.backoffMs);
          this.backoffMs = Math.min(this.backoffMs * 2, 15_000);
          return;
        }
      }
    });
  }
}

/** A client-made review id: random, URL-safe, unique enough to never collide (122 bits). */
export function newClientReviewId(): string {
  return crypto.randomUUID();
}
