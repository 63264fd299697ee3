// Records when secrets were last used without a database write per token request:
// touches are collected in memory and written in one batch at most once per interval.
import type { Db } from "../db/client.ts";

export class LastUsedRecorder {
  #db: Db;
  #pending = new Map<string, Date>();
  #written = new Map<string, number>();
  #timer: NodeJS.Timeout;
  #intervalMs: number;

  constructor(db: Db, intervalMs = 30_000) {
    this.#db = db;
    this.#intervalMs = intervalMs;
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), intervalMs);
    this.#timer.unref();
  }

  touch(secretId: string, at = new Date()): void {
    const last = this.#written.get(secretId) ?? 0;
    // A secret used within the interval already has a fresh enough lastUsedAt.
    if (at.getTime() - last < this.#intervalMs && !this.#pending.has(secretId)) return;
    this.#pending.set(secretId, at);
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    const byTime = new Map<number, string[]>();
    for (const [id, at] of batch) {
      this.#written.set(id, at.getTime());
      const t = Math.floor(at.getTime() / 1000) * 1000;
      byTime.set(t, [...(byTime.get(t) ?? []), id]);
    }
    for (const [t, ids] of byTime) {
      await this.#db.clientSecret.updateMany({ where: { id: { in: ids } }, data: { lastUsedAt: new Date(t) } });
    }
    if (this.#written.size > 50_000) this.#written.clear();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush().catch(() => undefined);
  }
}
