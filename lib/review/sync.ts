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

/**
 * An outbox entry. `sent` is set before the first attempt to send it: from then on the server
 * may have applied it even if no answer came back. `undo` marks a sent rating the learner took
 * back before its answer arrived: what goes out for it is the undo, not the rating.
 */
type OutboxEntry = PendingReview & { seq: number; sent?: boolean; undo?: boolean };

interface OutboxSchema extends DBSchema {
  outbox: { key: string; value: OutboxEntry; indexes: { byUser: string } };
}

export interface SyncStatus {
  /** False until the outbox left by earlier visits has been read. */
  loaded: boolean;
  /** Ratings written in this browser and not yet acknowledged by the server. */
  waiting: number;
  /** The last attempt failed for lack of an answer. */
  offline: boolean;
  /** The server answered 401: the sign-in expired. Ratings wait here until the learner signs in again. */
  signedOut: boolean;
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
  private status: SyncStatus = { loaded: false, waiting: 0, offline: false, signedOut: false, refused: [] };
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

  private async pending(): Promise<OutboxEntry[]> {
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
    // Counted before the (asynchronous) put, so the page never says "All ratings saved" while a
    // rating is on its way into IndexedDB; taken back if the browser refuses to store it.
    this.set({ waiting: this.status.waiting + 1 });
    try {
      await (await this.db).put('outbox', { ...review, seq: this.seq });
    } catch (err) {
      this.set({ waiting: Math.max(0, this.status.waiting - 1) });
      throw err;
    }
    this.flush();
  }

  /**
   * Takes back a rating. Queued behind any send in flight, so it cannot race the rating it undoes.
   *  - never sent → removed here; the server never hears of it ('local');
   *  - sent but unanswered (the server may have applied it) → the entry becomes an undo, sent
   *    like a rating (now if the server answers, else when the connection returns); the server
   *    restores the card if it had applied the rating and remembers the id as undone either way,
   *    so the rating cannot land afterwards ('queued');
   *  - acknowledged → the server restores the card and deletes the log row ('server').
   */
  undo(clientReviewId: string): Promise<'local' | 'queued' | 'server'> {
    return this.enqueue(async () => {
      const db = await this.db;
      const entry = await db.get('outbox', clientReviewId);
      if (entry && !entry.sent) {
        await db.delete('outbox', clientReviewId);
        this.set({ waiting: Math.max(0, this.status.waiting - 1) });
        return 'local' as const;
      }
      if (entry) {
        await db.put('outbox', { ...entry, undo: true });
        this.flush();
        return 'queued' as const;
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
        const { seq: _seq, userId: _user, sent, undo, ...body } = item;
        try {
          if (undo) {
            // 404 means the server never applied it; it now remembers the id, so it never will.
            await api.delete(`/api/reviews/${encodeURIComponent(item.clientReviewId)}`).catch((err) => {
              if (!(err instanceof ApiError && err.status === 404)) throw err;
            });
            await db.delete('outbox', item.clientReviewId);
            this.set({ waiting: Math.max(0, this.status.waiting - 1), offline: false, signedOut: false });
            this.backoffMs = 1000;
            continue;
          }
          if (!sent) await db.put('outbox', { ...item, sent: true });
          const answer = await api.post<RateAnswer>('/api/reviews', body);
          this.acknowledged.add(item.clientReviewId);
          await db.delete('outbox', item.clientReviewId);
          this.set({ waiting: Math.max(0, this.status.waiting - 1), offline: false, signedOut: false });
          this.backoffMs = 1000;
          this.onAnswer(answer);
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            // Signed out (the session expired): retrying cannot help until the learner signs in
            // again; everything stays in the outbox and goes out on the next visit after sign-in.
            this.set({ signedOut: true, offline: false });
            return;
          }
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
