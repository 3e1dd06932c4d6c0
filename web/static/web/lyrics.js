// The lyrics panel of the now-playing view: /api/v1/tracks/{id}/lyrics for the current
// track. Synced lyrics follow the audio (the current line has aria-current and is scrolled
// to the middle; clicking a line seeks there); plain lyrics are shown as text. Fetched only
// while the panel is open, once per track.

import { api } from "./api.js";
import { h } from "./dom.js";
import { gettext } from "./i18n.js";

// The line whose start is the last at or before `ms` (-1 before the first): lines are sorted.
export function lineAt(starts, ms) {
  let low = 0;
  let high = starts.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (starts[middle] <= ms) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

export class LyricsPanel {
  constructor(player, { panel, body, button, close }) {
    this.player = player;
    this.panel = panel;
    this.body = body;
    this.button = button;
    this.trackId = null; // the track whose lyrics are shown (or being fetched)
    this.starts = [];
    this.lines = [];
    this.current = -1;
    this.request = null;
    button.addEventListener("click", () => this.toggle());
    close.addEventListener("click", () => {
      this.toggle(false);
      button.focus();
    });
    player.addEventListener("track", () => this.load());
    player.addEventListener("time", () => this.follow());
  }

  get open() {
    return !this.panel.hidden;
  }

  toggle(open = !this.open) {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-pressed", String(open));
    document.body.classList.toggle("lyrics-open", open);
    if (open) this.load();
  }

  async load() {
    if (!this.open) return;
    const track = this.player.current;
    const id = track ? String(track.id) : null;
    if (id === this.trackId) return;
    this.trackId = id;
    this.request?.abort();
    this.clear();
    if (!id) return this.message(gettext("Nothing is playing."));
    this.message(gettext("Loading lyrics…"));
    const request = new AbortController();
    this.request = request;
    try {
      const query = { market: "from_token" };
      this.show(await api(`tracks/${encodeURIComponent(id)}/lyrics`, { query, signal: request.signal }));
    } catch (error) {
      if (request.signal.aborted) return;
      if (error.status === 404) this.message(gettext("No lyrics for this track."));
      else {
        this.trackId = null; // try again next time
        this.message(gettext("Lyrics could not be loaded."));
      }
    }
  }

  clear() {
    this.starts = [];
    this.lines = [];
    this.current = -1;
    this.body.replaceChildren();
  }

  message(text) {
    this.body.replaceChildren(h("p", { class: "lyrics-message", text }));
  }

  show(lyrics) {
    this.clear();
    if (!lyrics.synced) {
      this.body.append(h("p", { class: "lyrics-plain", lang: lyrics.language, text: lyrics.plain }));
      return;
    }
    const list = h("ol", { class: "lyrics-lines", lang: lyrics.language });
    for (const line of lyrics.lines) {
      const button = h("button", {
        type: "button",
        class: "lyrics-line",
        text: line.text || "♪",
        onclick: () => this.player.seek(line.start_ms / 1000),
      });
      this.starts.push(line.start_ms);
      this.lines.push(button);
      list.append(h("li", {}, button));
    }
    this.body.append(list);
    this.follow(true);
  }

  follow(force = false) {
    if (!this.open || !this.lines.length) return;
    const index = lineAt(this.starts, (this.player.audio.currentTime || 0) * 1000);
    if (index === this.current && !force) return;
    this.lines[this.current]?.removeAttribute("aria-current");
    this.current = index;
    const line = this.lines[index];
    if (!line) return;
    line.setAttribute("aria-current", "true");
    // Scroll the panel only (not the page) so the line sits in the middle.
    const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const offset = line.getBoundingClientRect().top - this.panel.getBoundingClientRect().top;
    const top = this.panel.scrollTop + offset - this.panel.clientHeight / 2 + line.offsetHeight / 2;
    this.panel.scrollTo({ top: Math.max(0, top), behavior: reduce || force ? "auto" : "smooth" });
  }
}
