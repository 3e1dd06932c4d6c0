// The player: a queue of track objects played through two <audio> elements.
//
// The active element plays; ~10 s before its end the next track's signed stream URL is
// fetched and loaded into the spare element, which takes over on `ended` (near-gapless).
// Each play is measured (ms actually heard, seeks excluded) and handed to the outbox.

import { api } from "./api.js";
import { uuid4 } from "./outbox.js";

const PRELOAD_SECONDS = 10;
const RESTART_SECONDS = 3;
const URL_SAFETY_MS = 30_000;
const SESSION_KEY = "streamify.open-play";
// Backoff between attempts after a network error or a 5xx (a stream URL, the audio itself).
const RETRY_DELAYS_MS = [500, 1500, 4000];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const transient = (error) => !error?.status || error.status >= 500;

// Point an <audio> at a stream grant: its URL, the track's loudness and when it expires.
function useGrant(audio, grant) {
  audio.src = grant.url;
  audio.loudness = grant.loudness;
  audio.expiresAt = grant.expiresAt;
}

export const REPEAT_MODES = ["off", "all", "one"];
export const QUALITIES = ["low", "normal", "high"];

export function isPlayable(track) {
  return Boolean(track) && track.is_playable !== false;
}

export function pickFormat() {
  const probe = document.createElement("audio");
  if (probe.canPlayType('audio/ogg; codecs="opus"')) return "opus";
  if (probe.canPlayType('audio/mp4; codecs="mp4a.40.2"')) return "aac";
  return "mp3";
}

let entrySeq = 0;

function makeEntry(track, order) {
  entrySeq += 1;
  return { qid: entrySeq, track, order };
}

function shuffled(items) {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// Loudness normalisation as Spotify's settings: the target integrated loudness (LUFS).
export const NORMALISATION_TARGETS = { quiet: -19, normal: -14, loud: -11 };
// Never push a true peak above this (dBTP): normalisation must not clip.
const PEAK_CEILING_DBTP = -1;

// The linear gain that brings `loudness` (a stream URL's `loudness`) to `mode`'s target,
// from the album's loudness in album mode; 1 when off or not analysed yet.
export function normalisationGain(loudness, mode, albumMode = false) {
  const target = NORMALISATION_TARGETS[mode];
  if (target === undefined || !loudness) return 1;
  const lufs = albumMode && loudness.album_integrated_lufs != null ? loudness.album_integrated_lufs : loudness.integrated_lufs;
  if (lufs == null) return 1;
  let db = target - lufs;
  const peak = albumMode && loudness.album_true_peak_dbtp != null ? loudness.album_true_peak_dbtp : loudness.true_peak_dbtp;
  if (peak != null) db = Math.min(db, PEAK_CEILING_DBTP - peak);
  return 10 ** (db / 20);
}

export class Player extends EventTarget {
  constructor({ audios, outbox, market, audioProcessing = false }) {
    super();
    this.audios = audios;
    this.active = 0;
    this.outbox = outbox;
    this.market = market;
    this.entries = [];
    this.index = -1;
    this.context = { type: "other", id: "" };
    this.shuffle = localStorage.getItem("streamify.shuffle") === "1";
    this.repeat = localStorage.getItem("streamify.repeat") || "off";
    this.quality = localStorage.getItem("streamify.quality") || "normal";
    this.volume = Number(localStorage.getItem("streamify.volume") ?? 1);
    this.normalisation = localStorage.getItem("streamify.normalisation") || "normal";
    // Web Audio (gains above 1) only where the media is same-origin: a cross-origin
    // stream without CORS would play silence through it. Else the element's volume,
    // which can only lower a track.
    this.webAudio = Boolean(audioProcessing && (window.AudioContext || window.webkitAudioContext));
    this.audioContext = null;
    this.gains = new Map();
    this.muted = false;
    this.format = pickFormat();
    this.grants = new Map();
    this.preloaded = null;
    this.preloading = null;
    this.session = null;
    this.loadSeq = 0;
    this.retriedSrc = null;
    this.networkRetries = 0;
    this.renewing = null; // {entry, done}: a fresh stream URL being fetched
    this.wantsPlay = false; // the listener's last intent here: playing (true) or paused
    this.lastPositionState = 0;
    // Set by the sync while another device plays: commands go to it instead of the audio.
    this.remote = null;
    this.intentAt = 0; // when the listener last played, paused or skipped here (performance.now())
    for (const audio of audios) this.wire(audio);
    this.applyVolume();
    this.recoverOpenPlay();
    window.addEventListener("pagehide", () => this.persistOpenPlay());
    this.persistTimer = setInterval(() => this.persistOpenPlay(), 5000);
    this.setupMediaSession();
  }

  get audio() {
    return this.audios[this.active];
  }

  get spare() {
    return this.audios[1 - this.active];
  }

  get current() {
    return this.entries[this.index]?.track || null;
  }

  get currentEntry() {
    return this.entries[this.index] || null;
  }

  get upcoming() {
    return this.entries.slice(this.index + 1);
  }

  get playing() {
    if (this.remote) return this.remote.playing;
    return Boolean(this.current) && !this.audio.paused && !this.audio.ended;
  }

  emit(type) {
    this.dispatchEvent(new Event(type));
  }

  // ---- audio element events -------------------------------------------------------

  wire(audio) {
    const mine = (handler) => (event) => {
      if (event.target === this.audio) handler(event);
    };
    audio.addEventListener("timeupdate", mine(() => this.onTimeUpdate()));
    audio.addEventListener("playing", mine(() => this.onPlaying()));
    audio.addEventListener("pause", mine(() => this.onStateChange()));
    audio.addEventListener("waiting", mine(() => this.emit("state")));
    audio.addEventListener("ended", mine(() => this.onEnded()));
    audio.addEventListener("error", mine(() => this.onError()));
    audio.addEventListener("seeking", mine(() => this.markSeek()));
    audio.addEventListener("seeked", mine(() => this.markSeek()));
    audio.addEventListener("loadedmetadata", mine(() => this.onTimeUpdate(true)));
    audio.addEventListener("durationchange", mine(() => this.onTimeUpdate(true)));
  }

  onPlaying() {
    if (this.session && !this.session.started_at) {
      this.session.started_at = new Date().toISOString();
    }
    if (this.session && this.session.last === null) this.session.last = this.audio.currentTime;
    this.retriedSrc = null;
    this.networkRetries = 0;
    this.onStateChange();
  }

  onStateChange() {
    if ("mediaSession" in navigator) {
      navigator.mediaSession.playbackState = this.audio.paused ? "paused" : "playing";
    }
    this.emit("state");
  }

  onTimeUpdate(force = false) {
    this.countListening();
    this.maybePreload();
    const stamp = performance.now();
    if (force || stamp - this.lastPositionState > 1000) {
      this.lastPositionState = stamp;
      this.updatePositionState();
    }
    this.emit("time");
  }

  // Add the time heard since the last count; jumps (seeks) are not listening.
  countListening() {
    const audio = this.audio;
    const session = this.session;
    if (!session || session.last === null) return;
    const now = audio.currentTime;
    const delta = now - session.last;
    if (delta > 0 && delta < 1.5) session.ms += delta * 1000;
    session.last = now;
  }

  markSeek() {
    if (this.session) this.session.last = this.audio.currentTime;
    this.updatePositionState();
    this.emit("time");
  }

  onEnded() {
    if (this.repeat === "one") {
      this.finishPlay();
      this.openPlay(this.currentEntry);
      this.audio.currentTime = 0;
      this.audio.play().catch(() => {});
      return;
    }
    const next = this.nextIndex();
    if (next === null) {
      this.finishPlay();
      this.audio.currentTime = 0;
      this.onStateChange();
      return;
    }
    this.playAt(next);
  }

  // A network error retries with backoff; any other error (usually an expired signed URL
  // after a long pause) gets a fresh URL once; past that the track is skipped.
  async onError() {
    const entry = this.currentEntry;
    // No error left on the element: it was a source replaced since (a fresh URL is loading).
    if (!entry || !this.audio.src || !this.audio.error || this.renewing) return;
    const network = this.audio.error?.code === MediaError.MEDIA_ERR_NETWORK;
    if (network && this.networkRetries < RETRY_DELAYS_MS.length) {
      await sleep(RETRY_DELAYS_MS[this.networkRetries]);
      this.networkRetries += 1;
      if (this.currentEntry === entry) await this.renew(entry);
      return;
    }
    if (this.retriedSrc === this.audio.src) {
      this.emit("error");
      this.skip(entry);
      return;
    }
    await this.renew(entry);
    this.retriedSrc = this.audio.src;
  }

  // Load a fresh stream URL for the current entry where the old one stood; it plays only
  // if the listener wants it playing when the URL arrives (a paused track stays paused).
  // Calls while one is under way share it.
  renew(entry) {
    if (this.renewing?.entry === entry) return this.renewing.done;
    const audio = this.audio;
    const job = { entry };
    job.done = (async () => {
      const position = audio.currentTime;
      this.grants.delete(this.grantKey(entry.track.id));
      let grant;
      try {
        grant = await this.grant(entry.track.id);
      } catch (error) {
        if (this.currentEntry === entry) this.reject(entry, error);
        return;
      }
      if (this.currentEntry !== entry || this.audio !== audio) return;
      useGrant(audio, grant);
      if (position) audio.currentTime = position;
      if (this.wantsPlay) await audio.play().catch(() => {});
    })().finally(() => {
      if (this.renewing === job) this.renewing = null;
    });
    this.renewing = job;
    return job.done;
  }

  urlExpiring(audio = this.audio) {
    return Boolean(audio.src) && audio.expiresAt !== undefined && audio.expiresAt - Date.now() < URL_SAFETY_MS;
  }

  // ---- stream URLs ----------------------------------------------------------------

  grantKey(trackId) {
    return `${trackId}:${this.format}:${this.quality}`;
  }

  async grant(trackId) {
    const key = this.grantKey(trackId);
    const cached = this.grants.get(key);
    if (cached && (await cached.then((g) => g.expiresAt - Date.now() > URL_SAFETY_MS, () => false))) {
      return cached;
    }
    const query = { track_id: trackId, format: this.format, quality: this.quality };
    const attempt = async () => {
      for (let i = 0; ; i += 1) {
        try {
          return await api("me/player/stream-url", { query });
        } catch (error) {
          if (!transient(error) || i >= RETRY_DELAYS_MS.length) throw error;
          await sleep(RETRY_DELAYS_MS[i]);
        }
      }
    };
    const pending = attempt().then((data) => ({ ...data, expiresAt: Date.parse(data.expires_at) }));
    this.grants.set(key, pending);
    pending.catch(() => this.grants.delete(key));
    return pending;
  }

  // Ask for a track's stream URL ahead of a likely click (hover, focus).
  warm(track) {
    if (isPlayable(track)) this.grant(track.id).catch(() => {});
  }

  // ---- playback -------------------------------------------------------------------

  setQueue(tracks, startIndex = 0, context = { type: "other", id: "" }) {
    const start = tracks[startIndex];
    const playable = tracks.filter(isPlayable);
    if (!playable.length) return false;
    let entries = playable.map((track, i) => makeEntry(track, i));
    let index = Math.max(0, playable.indexOf(start));
    if (this.shuffle) {
      const first = entries[index];
      entries = [first, ...shuffled(entries.filter((e) => e !== first))];
      index = 0;
    }
    this.context = context;
    this.entries = entries;
    this.index = -1;
    this.preloaded = null;
    this.playAt(index);
    this.emit("queue");
    return true;
  }

  // Load a queue where another session left it, paused at `seconds` (a reload, a handover).
  restore(tracks, index, seconds, context = { type: "other", id: "" }) {
    const playable = tracks.filter(isPlayable);
    if (!playable.length) return false;
    this.context = context;
    this.entries = playable.map((track, i) => makeEntry(track, i));
    this.index = -1;
    this.preloaded = null;
    const loaded = this.playAt(Math.max(0, playable.indexOf(tracks[index])), { autoplay: false, startAt: seconds });
    this.emit("queue");
    return loaded;
  }

  async playAt(index, { autoplay = true, startAt = 0 } = {}) {
    const entry = this.entries[index];
    if (!entry) return;
    if (autoplay) this.enableWebAudio();
    this.wantsPlay = autoplay;
    this.networkRetries = 0;
    this.intentAt = performance.now();
    this.finishPlay();
    this.index = index;
    const seq = ++this.loadSeq;
    this.openPlay(entry);
    this.emit("track");
    this.emit("queue");
    const previous = this.audio;
    if (this.preloaded && this.preloaded.qid === entry.qid && this.preloaded.expiresAt - Date.now() > URL_SAFETY_MS) {
      previous.pause();
      this.active = 1 - this.active;
      this.preloaded = null;
    } else {
      let grant;
      this.preloaded = null;
      try {
        grant = await this.grant(entry.track.id);
      } catch (error) {
        if (seq === this.loadSeq) this.reject(entry, error);
        return;
      }
      if (seq !== this.loadSeq) return;
      previous.pause();
      useGrant(this.audio, grant);
      if (startAt > 0) this.audio.currentTime = startAt;
    }
    this.applyVolume();
    this.updateMediaSession();
    if (autoplay) {
      this.audio.play().catch((error) => {
        if (error.name === "NotAllowedError") this.onStateChange();
      });
    }
  }

  reject(entry, error) {
    this.session = null;
    if (!error?.status || error.status >= 500) {
      // Offline or a server hiccup: keep the track where it is, the listener can retry.
      this.rejection = { track: entry.track, error };
      this.emit("unreachable");
      this.onStateChange();
      return;
    }
    entry.track.is_playable = false;
    if (error.status === 451 || error.status === 403) entry.track.restrictions = { reason: "market" };
    else if (!entry.track.restrictions) entry.track.restrictions = { reason: error.status === 404 ? "removed" : "unavailable" };
    this.rejection = { track: entry.track, error };
    this.emit("rejected");
    this.skip(entry);
  }

  // Drop `entry` from the queue; when it was the current one, the next playable track
  // plays (as the listener wanted), else nothing is shown as current.
  skip(entry) {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    const wasCurrent = index === this.index;
    this.entries.splice(index, 1);
    if (index <= this.index) this.index -= 1;
    if (wasCurrent) {
      this.session = null;
      this.audio.removeAttribute("src");
      this.audio.load();
      this.audio.expiresAt = undefined;
      const next = this.nextIndex();
      if (next !== null) {
        this.playAt(next, { autoplay: this.wantsPlay });
        return;
      }
      this.index = -1;
      this.emit("track");
      this.onStateChange();
    }
    this.emit("queue");
  }

  play() {
    if (this.remote) return this.remote.command("play");
    if (!this.current) return;
    this.intentAt = performance.now(); // the listener's own action: newer than any state read
    this.enableWebAudio();
    this.wantsPlay = true;
    if (!this.audio.src) {
      this.playAt(this.index);
      return;
    }
    if (this.urlExpiring() || this.renewing) {
      this.renew(this.currentEntry);
      return;
    }
    this.audio.play().catch(() => {});
  }

  pause() {
    if (this.remote) return this.remote.command("pause");
    this.wantsPlay = false;
    this.intentAt = performance.now();
    this.audio.pause();
  }

  toggle() {
    if (this.remote) return this.remote.command(this.remote.playing ? "pause" : "play");
    if (this.playing) this.pause();
    else this.play();
  }

  nextIndex() {
    for (let i = this.index + 1; i < this.entries.length; i += 1) {
      if (isPlayable(this.entries[i].track)) return i;
    }
    if (this.repeat === "all") {
      for (let i = 0; i <= this.index && i < this.entries.length; i += 1) {
        if (isPlayable(this.entries[i].track)) return i;
      }
    }
    return null;
  }

  previousIndex() {
    for (let i = this.index - 1; i >= 0; i -= 1) {
      if (isPlayable(this.entries[i].track)) return i;
    }
    if (this.repeat === "all") {
      for (let i = this.entries.length - 1; i > this.index; i -= 1) {
        if (isPlayable(this.entries[i].track)) return i;
      }
    }
    return null;
  }

  next() {
    if (this.remote) return this.remote.command("next");
    const next = this.nextIndex();
    if (next !== null) this.playAt(next);
  }

  previous() {
    if (this.remote) return this.remote.command("previous");
    if (this.audio.currentTime > RESTART_SECONDS) {
      this.seek(0);
      return;
    }
    const previous = this.previousIndex();
    if (previous === null) this.seek(0);
    else this.playAt(previous);
  }

  seek(seconds) {
    if (this.remote) return this.remote.command("seek", seconds);
    const audio = this.audio;
    if (!this.current || !audio.src) return;
    const duration = Number.isFinite(audio.duration) ? audio.duration : seconds;
    audio.currentTime = Math.max(0, Math.min(seconds, Math.max(0, duration - 0.25)));
    if (this.session) this.session.last = audio.currentTime;
    // A seek reads from the server: an expired URL would fail it, so renew it first.
    if (this.urlExpiring()) this.renew(this.currentEntry);
  }

  seekBy(delta) {
    this.seek(this.audio.currentTime + delta);
  }

  setVolume(value) {
    this.volume = Math.max(0, Math.min(1, value));
    if (this.volume > 0) this.muted = false;
    localStorage.setItem("streamify.volume", String(this.volume));
    this.applyVolume();
    this.emit("options");
  }

  toggleMute() {
    this.muted = !this.muted;
    this.applyVolume();
    this.emit("options");
  }

  setNormalisation(mode) {
    this.normalisation = NORMALISATION_TARGETS[mode] === undefined ? "off" : mode;
    localStorage.setItem("streamify.normalisation", this.normalisation);
    this.applyVolume();
    this.emit("options");
  }

  // Route both <audio> elements through gain nodes, once, inside a user gesture (a
  // context created without one stays suspended, and routed audio would be silent).
  async enableWebAudio() {
    if (!this.webAudio || this.audioContext) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    const context = new Context();
    try {
      await context.resume();
    } catch {
      /* stays suspended: keep the plain elements */
    }
    if (context.state !== "running") {
      context.close().catch(() => {});
      return;
    }
    this.audioContext = context;
    for (const audio of this.audios) {
      const gain = context.createGain();
      context.createMediaElementSource(audio).connect(gain).connect(context.destination);
      this.gains.set(audio, gain);
    }
    this.applyVolume();
  }

  trackGain(audio) {
    return normalisationGain(audio.loudness, this.normalisation, this.context?.type === "album");
  }

  applyVolume() {
    for (const audio of this.audios) {
      const gain = this.trackGain(audio);
      const node = this.gains.get(audio);
      if (node) {
        node.gain.value = gain;
        audio.volume = this.volume;
      } else {
        audio.volume = this.volume * Math.min(1, gain);
      }
      audio.muted = this.muted;
    }
  }

  toggleShuffle() {
    this.shuffle = !this.shuffle;
    localStorage.setItem("streamify.shuffle", this.shuffle ? "1" : "0");
    const head = this.entries.slice(0, this.index + 1);
    const rest = this.upcoming;
    const ordered = this.shuffle ? shuffled(rest) : rest.sort((a, b) => a.order - b.order);
    this.entries = [...head, ...ordered];
    this.emit("options");
    this.emit("queue");
  }

  cycleRepeat() {
    this.repeat = REPEAT_MODES[(REPEAT_MODES.indexOf(this.repeat) + 1) % REPEAT_MODES.length];
    localStorage.setItem("streamify.repeat", this.repeat);
    this.emit("options");
  }

  setQuality(quality) {
    if (!QUALITIES.includes(quality)) return;
    this.quality = quality;
    localStorage.setItem("streamify.quality", quality);
    this.preloaded = null;
    this.emit("options");
  }

  // ---- queue editing ----------------------------------------------------------------

  renumber() {
    if (!this.shuffle) this.entries.forEach((entry, i) => (entry.order = i));
  }

  playNext(track) {
    if (!isPlayable(track)) return;
    const current = this.currentEntry;
    const entry = makeEntry(track, current ? current.order + 0.5 : 0);
    if (!current) {
      this.entries = [entry];
      this.playAt(0);
    } else {
      this.entries.splice(this.index + 1, 0, entry);
    }
    this.renumber();
    this.emit("queue");
  }

  addToQueue(track) {
    if (!isPlayable(track)) return;
    const last = this.entries.reduce((max, e) => Math.max(max, e.order), -1);
    this.entries.push(makeEntry(track, last + 1));
    if (this.index < 0) this.playAt(0);
    this.emit("queue");
  }

  // `from` and `to` index the upcoming list (0 = the track after the current one).
  moveUpcoming(from, to) {
    const upcoming = this.upcoming;
    if (from < 0 || from >= upcoming.length || to < 0 || to >= upcoming.length || from === to) {
      return false;
    }
    const [moved] = upcoming.splice(from, 1);
    upcoming.splice(to, 0, moved);
    this.entries = [...this.entries.slice(0, this.index + 1), ...upcoming];
    this.renumber();
    this.emit("queue");
    return true;
  }

  removeUpcoming(position) {
    this.entries.splice(this.index + 1 + position, 1);
    this.emit("queue");
  }

  clearUpcoming() {
    this.entries = this.entries.slice(0, this.index + 1);
    this.preloaded = null;
    this.emit("queue");
  }

  // ---- near-gapless preloading -------------------------------------------------------

  maybePreload() {
    const audio = this.audio;
    if (!Number.isFinite(audio.duration) || audio.duration - audio.currentTime > PRELOAD_SECONDS) {
      return;
    }
    if (this.repeat === "one") return;
    const nextIndex = this.nextIndex();
    if (nextIndex === null) return;
    const entry = this.entries[nextIndex];
    if (this.preloaded?.qid === entry.qid || this.preloading === entry.qid) return;
    this.preloading = entry.qid;
    this.grant(entry.track.id)
      .then((grant) => {
        if (this.preloading !== entry.qid) return;
        const spare = this.spare;
        spare.preload = "auto";
        useGrant(spare, grant);
        spare.load();
        this.preloaded = { qid: entry.qid, expiresAt: grant.expiresAt };
      })
      .catch(() => {})
      .finally(() => {
        if (this.preloading === entry.qid) this.preloading = null;
      });
  }

  // ---- play reporting ---------------------------------------------------------------

  openPlay(entry) {
    this.session = {
      id: uuid4(),
      track_id: entry.track.id,
      context_type: this.context.type || "other",
      context_id: String(this.context.id || ""),
      started_at: null,
      ms: 0,
      last: null,
    };
  }

  playEvent(session) {
    if (!session || !session.started_at || session.ms < 1) return null;
    return {
      event_id: session.id,
      track_id: Number(session.track_id),
      ms_played: Math.round(session.ms),
      context_type: session.context_type,
      context_id: session.context_id,
      started_at: session.started_at,
      ended_at: new Date().toISOString(),
    };
  }

  finishPlay() {
    this.countListening();
    const event = this.playEvent(this.session);
    this.session = null;
    localStorage.removeItem(SESSION_KEY);
    if (event) this.outbox.add(event);
  }

  // A play still open when the tab closes is kept and sent on the next visit.
  persistOpenPlay() {
    const event = this.playEvent(this.session);
    if (event) localStorage.setItem(SESSION_KEY, JSON.stringify(event));
  }

  recoverOpenPlay() {
    const saved = localStorage.getItem(SESSION_KEY);
    if (!saved) return;
    localStorage.removeItem(SESSION_KEY);
    try {
      this.outbox.add(JSON.parse(saved));
    } catch {
      // A corrupt leftover is not worth a play.
    }
  }

  // ---- Media Session -------------------------------------------------------------------

  setupMediaSession() {
    if (!("mediaSession" in navigator)) return;
    const handlers = {
      play: () => this.play(),
      pause: () => this.pause(),
      stop: () => this.pause(),
      previoustrack: () => this.previous(),
      nexttrack: () => this.next(),
      seekbackward: (details) => this.seekBy(-(details.seekOffset || 10)),
      seekforward: (details) => this.seekBy(details.seekOffset || 10),
      seekto: (details) => this.seek(details.seekTime),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // The browser does not know this action.
      }
    }
  }

  updateMediaSession() {
    const track = this.current;
    if (!track || !("mediaSession" in navigator) || !window.MediaMetadata) return;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: track.name,
      artist: (track.artists || []).map((a) => a.name).join(", "),
      album: track.album?.name || "",
      artwork: (track.album?.images || []).map((image) => ({
        src: image.url,
        sizes: image.width ? `${image.width}x${image.height}` : undefined,
      })),
    });
  }

  updatePositionState() {
    const audio = this.audio;
    if (!("mediaSession" in navigator) || !Number.isFinite(audio.duration)) return;
    try {
      navigator.mediaSession.setPositionState({
        duration: audio.duration,
        playbackRate: audio.playbackRate,
        position: Math.min(audio.currentTime, audio.duration),
      });
    } catch {
      // Position states are advisory.
    }
  }
}
