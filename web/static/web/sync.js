// Keeps the player in step with the listener's player state on the server (/me/player).
//
// Each tab is a device (its id lives in sessionStorage, so a reload keeps it). While this
// tab plays, it reports what it plays (queue, track, position, playing or paused) and a
// heartbeat; a reload restores the queue, track and position, paused. Every few seconds it
// reads the state back: a command from another tab or client (pause, next, seek) is applied
// here, and when another device plays, this tab pauses and becomes its remote control
// ("Playing on …", with "Play here" to take over).

import { api } from "./api.js";

const POLL_MS = 3000;
const HEARTBEAT_MS = 10_000;
const REPORT_DELAY_MS = 250;
const DRIFT_SECONDS = 4;
const DEVICE_KEY = "streamify.device-id";
const URI = (id) => `streamify:track:${id}`;

function deviceId() {
  let id = sessionStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)}`;
    sessionStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function deviceName() {
  const brand = navigator.userAgentData?.brands?.find((b) => !/Not.A.Brand|Chromium/i.test(b.brand))?.brand;
  return `Web player${brand ? ` (${brand})` : ""}`;
}

export class PlayerSync extends EventTarget {
  constructor(player) {
    super();
    this.player = player;
    this.id = deviceId();
    this.reported = null; // what the server holds from us: {ids, index, playing}
    this.chain = Promise.resolve();
    this.pending = 0;
    this.timer = null;
    this.remoteDevice = null;
    this.remoteState = null;
    this.lastHeartbeat = 0;
    this.ready = null;
    this.restoredAt = 0; // ms after navigation start: the state is loaded (bench, tests)
  }

  // ---- start --------------------------------------------------------------------------

  start() {
    this.ready = this.enqueue(async () => {
      await api(`me/player/devices/${encodeURIComponent(this.id)}`, {
        method: "PUT",
        body: { name: deviceName(), type: matchMedia("(pointer: coarse)").matches ? "Smartphone" : "Computer" },
      });
      const state = await api("me/player");
      if (state?.item) {
        if (state.is_playing && state.device?.id !== this.id) await this.becomeRemote(state);
        else {
          // Still "playing" here from before the reload: this tab starts paused.
          if (state.is_playing) await api("me/player/pause", { method: "PUT", query: { device_id: this.id } });
          await this.restoreFrom(state);
        }
      }
      this.restoredAt = performance.now();
      this.dispatchEvent(new Event("restored"));
    }).catch(() => this.dispatchEvent(new Event("restored")));
    for (const type of ["track", "state", "queue"]) {
      this.player.addEventListener(type, () => this.schedule());
    }
    for (const audio of this.player.audios) {
      audio.addEventListener("seeked", () => {
        if (audio === this.player.audio) this.schedule(true);
      });
    }
    window.addEventListener("pagehide", () => this.leave());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.poll();
    });
    setInterval(() => this.poll(), POLL_MS);
    return this.ready;
  }

  enqueue(task) {
    this.pending += 1;
    const run = this.chain.then(task).finally(() => (this.pending -= 1));
    this.chain = run.catch(() => {});
    return run;
  }

  // The server's queue from its current track on, loaded here paused.
  async restoreFrom(state) {
    const queue = await api("me/player/queue");
    const tracks = [queue?.currently_playing || state.item, ...(queue?.queue || [])];
    const context = state.context ? { type: state.context.type, id: state.context.uri.split(":").pop() } : undefined;
    this.reported = { ids: tracks.map((t) => t.id).join(","), index: 0, playing: false };
    await this.player.restore(tracks, 0, (state.progress_ms || 0) / 1000, context);
  }

  // ---- reporting what this tab plays -------------------------------------------------

  snapshot() {
    const player = this.player;
    return {
      ids: player.entries.map((e) => e.track.id).join(","),
      index: player.index,
      playing: player.playing,
    };
  }

  schedule(seeked = false) {
    if (this.player.remote || !this.player.current) return;
    if (seeked) this.seekPending = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.report();
    }, REPORT_DELAY_MS);
  }

  report({ heartbeat = false } = {}) {
    const player = this.player;
    if (player.remote || !player.current) return Promise.resolve();
    const now = this.snapshot();
    const before = this.reported;
    const position_ms = Math.round((player.audio.currentTime || 0) * 1000);
    const device = { device_id: this.id };
    const requests = [];
    if (!before || before.ids !== now.ids || before.index !== now.index) {
      requests.push(["me/player/play", { method: "PUT", query: device, body: { uris: player.entries.map((e) => URI(e.track.id)), offset: { position: now.index }, position_ms } }]);
      if (!now.playing) requests.push(["me/player/pause", { method: "PUT", query: device }]);
    } else if (before.playing !== now.playing) {
      requests.push(now.playing ? ["me/player/play", { method: "PUT", query: device, body: { position_ms } }] : ["me/player/pause", { method: "PUT", query: device }]);
    } else if (this.seekPending || heartbeat) {
      requests.push(["me/player/seek", { method: "PUT", query: { ...device, position_ms } }]);
    }
    this.seekPending = false;
    if (!requests.length) return Promise.resolve();
    this.reported = now;
    this.lastHeartbeat = Date.now();
    return this.enqueue(async () => {
      for (const [path, options] of requests) {
        try {
          await api(path, options);
        } catch (error) {
          if (error.status === 404) {
            // The device was forgotten (another session cleared it): register again.
            await api(`me/player/devices/${encodeURIComponent(this.id)}`, { method: "PUT", body: { name: deviceName() } });
            await api(path, options);
          } else if (error.status >= 400 && error.status < 500) {
            this.reported = null; // refused (a track no longer playable here): resend later
            return;
          } else throw error;
        }
      }
    }).catch(() => {
      this.reported = null; // offline: the next report sends everything again
    });
  }

  // Pausing on the way out keeps the position; a reload restores it (paused).
  leave() {
    if (this.player.remote || !this.player.playing) return;
    // One request: a page being unloaded may not start a second one.
    const headers = { "X-CSRFToken": document.querySelector('meta[name="csrf-token"]')?.content || "" };
    const url = `/api/v1/me/player/pause?device_id=${encodeURIComponent(this.id)}`;
    fetch(url, { method: "PUT", headers, keepalive: true, credentials: "same-origin" }).catch(() => {});
  }

  // ---- reading the state back ------------------------------------------------------------

  poll() {
    if (this.pending || document.visibilityState === "hidden" && !this.player.playing) return;
    if (!this.player.remote && this.player.playing && Date.now() - this.lastHeartbeat > HEARTBEAT_MS) {
      this.report({ heartbeat: true });
    }
    this.enqueue(async () => {
      const asked = performance.now();
      const state = await api("me/player");
      await this.apply(state, asked);
    }).catch(() => {});
  }

  // `asked`: when the state was requested. A play, pause or skip made here after that (or a
  // report of ours not yet answered) is newer than the state read: it is not undone.
  async apply(state, asked) {
    const player = this.player;
    if (!state?.item) {
      if (player.remote) this.leaveRemote();
      return;
    }
    const elsewhere = state.device && state.device.id !== this.id;
    if (elsewhere && state.is_playing) {
      await this.becomeRemote(state);
      return;
    }
    if (player.remote) {
      // The other device stopped: this tab holds the state again, paused. The state is
      // loaded while still in remote mode (no report can leave for a half-loaded queue),
      // and only then do the controls become this tab's own.
      await this.restoreFrom(state);
      this.leaveRemote();
      return;
    }
    // A report scheduled since `asked` is still timed or queued behind this read.
    if (this.pending > 1 || this.timer || player.intentAt >= asked) return; // ours is newer
    const mine = this.reported;
    if (!mine) return;
    const current = player.current;
    if (current && String(state.item.id) !== String(current.id)) {
      // Skipped from elsewhere: find the track in our queue, else take the server's.
      const at = player.entries.findIndex((e, i) => i > player.index - 2 && String(e.track.id) === String(state.item.id));
      if (at >= 0) {
        this.reported = { ...this.snapshot(), index: at, playing: state.is_playing };
        player.playAt(at, { autoplay: state.is_playing, startAt: (state.progress_ms || 0) / 1000 });
      } else {
        await this.restoreFrom(state);
      }
      return;
    }
    if (!state.is_playing && player.playing) {
      this.reported = { ...mine, playing: false };
      player.wantsPlay = false;
      player.audio.pause();
    } else if (state.is_playing && !player.playing && elsewhere === false && mine.playing === false) {
      this.reported = { ...mine, playing: true };
      player.wantsPlay = true;
      player.audio.play().catch(() => {});
    }
    const server = (state.progress_ms || 0) / 1000;
    if (Math.abs(server - (player.audio.currentTime || 0)) > DRIFT_SECONDS && !this.seekPending) {
      player.audio.currentTime = server;
    }
  }

  // ---- remote control of another device ---------------------------------------------------

  async becomeRemote(state) {
    const player = this.player;
    const known = this.remoteState?.item?.id;
    if (player.playing) player.audio.pause();
    this.remoteState = state;
    this.remoteDevice = state.device;
    player.remote = {
      playing: state.is_playing,
      device: state.device,
      command: (name, arg) => this.command(name, arg),
    };
    if (known !== state.item.id || !player.current || String(player.current.id) !== String(state.item.id)) {
      player.entries = [];
      const queue = await api("me/player/queue").catch(() => null);
      const tracks = [queue?.currently_playing || state.item, ...(queue?.queue || [])];
      this.reported = null;
      await player.restore(tracks, 0, (state.progress_ms || 0) / 1000);
    } else if (Number.isFinite(player.audio.duration)) {
      player.audio.currentTime = (state.progress_ms || 0) / 1000;
    }
    this.dispatchEvent(new Event("remote"));
    player.emit("state");
    player.emit("time");
  }

  leaveRemote() {
    this.player.remote = null;
    this.remoteState = null;
    this.remoteDevice = null;
    this.dispatchEvent(new Event("remote"));
    this.player.emit("state");
  }

  command(name, arg) {
    const paths = {
      play: ["me/player/play", "PUT"],
      pause: ["me/player/pause", "PUT"],
      next: ["me/player/next", "POST"],
      previous: ["me/player/previous", "POST"],
      seek: ["me/player/seek", "PUT"],
    };
    const [path, method] = paths[name];
    const query = name === "seek" ? { position_ms: Math.round(arg * 1000) } : undefined;
    if (this.player.remote && (name === "play" || name === "pause")) {
      this.player.remote.playing = name === "play";
      this.player.emit("state");
    }
    return this.enqueue(async () => {
      await api(path, { method, query });
      const asked = performance.now();
      await this.apply(await api("me/player"), asked);
    }).catch(() => {});
  }

  // Move playback from the other device to this tab, where it was.
  takeOver() {
    const state = this.remoteState;
    if (!state) return Promise.resolve();
    return this.enqueue(async () => {
      await api("me/player", { method: "PUT", body: { device_ids: [this.id], play: true } });
      const fresh = await api("me/player");
      await this.restoreFrom(fresh || state);
      this.leaveRemote();
      this.reported = { ...this.reported, playing: true };
      this.player.play();
    });
  }
}
