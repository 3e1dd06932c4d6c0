// Play events wait in an outbox (IndexedDB, or localStorage where IndexedDB is missing)
// until the server has them. Each event keeps its client UUID and original timestamps,
// so a retried or late batch is recorded once, at the time the music was played.

import { api, ApiError } from "./api.js";

const DB_NAME = "streamify-player";
const STORE = "play-events";
const LOCAL_KEY = "streamify.play-events";
const BATCH = 50;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

export function uuid4() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "event_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

class IdbStore {
  constructor(db) {
    this.db = db;
  }

  run(mode, action) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(STORE, mode);
      const result = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  put(event) {
    return this.run("readwrite", (store) => store.put(event));
  }

  take(limit) {
    return this.run("readonly", (store) => store.getAll(null, limit));
  }

  remove(ids) {
    return this.run("readwrite", (store) => ids.forEach((id) => store.delete(id)));
  }

  count() {
    return this.run("readonly", (store) => store.count());
  }
}

class LocalStore {
  read() {
    try {
      return JSON.parse(localStorage.getItem(LOCAL_KEY) || "[]");
    } catch {
      return [];
    }
  }

  write(events) {
    localStorage.setItem(LOCAL_KEY, JSON.stringify(events));
  }

  async put(event) {
    this.write([...this.read().filter((e) => e.event_id !== event.event_id), event]);
  }

  async take(limit) {
    return this.read().slice(0, limit);
  }

  async remove(ids) {
    const gone = new Set(ids);
    this.write(this.read().filter((e) => !gone.has(e.event_id)));
  }

  async count() {
    return this.read().length;
  }
}

export class Outbox {
  constructor({ endpoint = "me/player/events" } = {}) {
    this.endpoint = endpoint;
    this.failures = 0;
    this.timer = null;
    this.flushing = null;
    this.store = null;
    this.ready = this.open();
  }

  async open() {
    try {
      if (!window.indexedDB) throw new Error("no IndexedDB");
      this.store = new IdbStore(await openDb());
    } catch {
      this.store = new LocalStore();
    }
  }

  start() {
    window.addEventListener("online", () => this.flushSoon(0));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flushSoon(0);
    });
    this.flushSoon(0);
  }

  async add(event) {
    await this.ready;
    await this.store.put(event);
    if (this.failures === 0) this.flushSoon(1000);
  }

  async pending() {
    await this.ready;
    return this.store.count();
  }

  flushSoon(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delay);
  }

  flush() {
    if (!this.flushing) {
      this.flushing = this.send().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async send() {
    await this.ready;
    for (;;) {
      const events = await this.store.take(BATCH);
      if (!events.length) {
        this.failures = 0;
        return;
      }
      try {
        await api(this.endpoint, { method: "POST", body: { events } });
      } catch (error) {
        if (error instanceof ApiError && this.isRejection(error.status)) {
          // The server will never take this batch (malformed); keep the outbox moving.
          console.warn("play events rejected", error.status, error.message);
          await this.store.remove(events.map((e) => e.event_id));
          continue;
        }
        this.retryLater();
        return;
      }
      this.failures = 0;
      await this.store.remove(events.map((e) => e.event_id));
    }
  }

  isRejection(status) {
    return status >= 400 && status < 500 && ![401, 403, 408, 425, 429].includes(status);
  }

  retryLater() {
    this.failures += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 12));
    this.flushSoon(base / 2 + Math.random() * (base / 2));
  }
}
