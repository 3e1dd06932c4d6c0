// Entry module of the web player: client-side routing (pushState), the player bar, the
// queue panel, keyboard shortcuts and the language switch. The page itself never reloads,
// so the <audio> elements in the shell keep playing while the listener browses.

import { api, postForm } from "./api.js";
import { formatTime, h, icon, openDialog, setIcon, toast } from "./dom.js";
import { gettext, interpolate, reloadCatalog } from "./i18n.js";
import { Outbox } from "./outbox.js";
import { LyricsPanel } from "./lyrics.js";
import { Player } from "./player.js";
import { PlayerSync } from "./sync.js";
import { recentSearchesPanel, rememberSearch } from "./recent.js";
import {
  albumView,
  artistView,
  browseAlbumsView,
  browseArtistsView,
  browseGenresView,
  genreView,
  homeView,
  libraryView,
  likedState,
  likedView,
  notFoundView,
  paintLikes,
  playlistView,
  profileView,
  reasonText,
  searchView,
  syncLikes,
  toggleLike,
} from "./views.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const $ = (id) => document.getElementById(id);
const main = $("main");

const routes = [
  [/^\/$/, homeView, () => gettext("Home")],
  [/^\/search\/?$/, searchView, () => gettext("Search")],
  [/^\/artist\/(\d+)\/?$/, artistView, () => gettext("Artist")],
  [/^\/album\/(\d+)\/?$/, albumView, () => gettext("Album")],
  [/^\/playlist\/(\d+)\/?$/, playlistView, () => gettext("Playlist")],
  [/^\/browse\/albums\/?$/, browseAlbumsView, () => gettext("Browse albums")],
  [/^\/browse\/artists\/?$/, browseArtistsView, () => gettext("Browse artists")],
  [/^\/browse\/genres\/?$/, browseGenresView, () => gettext("Browse genres")],
  [/^\/genre\/(\d+)\/?$/, genreView, () => gettext("Genre")],
  [/^\/collection\/tracks\/?$/, likedView, () => gettext("Liked songs")],
  [/^\/collection\/?$/, libraryView, () => gettext("Your library")],
  [/^\/profile\/?$/, profileView, () => gettext("Profile")],
];

const outbox = new Outbox();
const player = new Player({ audios: [$("audio-a"), $("audio-b")], outbox, market: boot.user.country, audioProcessing: boot.audio_processing });
const sync = new PlayerSync(player);
new LyricsPanel(player, { panel: $("lyrics-panel"), body: $("lyrics-body"), button: $("btn-lyrics"), close: $("lyrics-close") });

let renderController = null;
let renderSeq = 0;

const app = {
  boot,
  player,
  sync,
  outbox,
  myPlaylists: [],

  currentPath() {
    return window.location.pathname;
  },

  navigate(url, { replace = false } = {}) {
    const target = new URL(url, window.location.origin);
    if (target.origin !== window.location.origin) {
      window.location.assign(target);
      return;
    }
    const same = target.pathname + target.search === window.location.pathname + window.location.search;
    if (replace || same) history.replaceState({}, "", target);
    else history.pushState({}, "", target);
    return app.render({ focus: !replace });
  },

  async render({ focus = true } = {}) {
    const seq = ++renderSeq;
    renderController?.abort();
    renderController = new AbortController();
    const path = window.location.pathname;
    const query = new URLSearchParams(window.location.search);
    let view = notFoundView;
    let params = [];
    let title = () => gettext("Page not found");
    for (const [pattern, candidate, name] of routes) {
      const match = path.match(pattern);
      if (match) {
        view = candidate;
        params = match.slice(1);
        title = name;
        break;
      }
    }
    main.setAttribute("aria-busy", "true");
    highlightNav(path);
    if (!path.startsWith("/search") && document.activeElement !== searchInput) searchInput.value = "";
    try {
      const node = await view({ app, params, query, signal: renderController.signal });
      if (seq !== renderSeq) return;
      main.replaceChildren(node);
      const h1 = node.querySelector("h1");
      document.title = `${h1 ? h1.textContent : title()} · Streamify`;
      if (focus && !main.contains(document.activeElement) && document.activeElement !== $("search-input")) {
        (h1 || main).focus({ preventScroll: true });
      }
      if (focus) main.scrollTop = 0;
    } catch (error) {
      if (error.name === "AbortError" || seq !== renderSeq) return;
      const message = error.status === 404 ? gettext("This page does not exist or is private.") : error.message;
      main.replaceChildren(h("div", { class: "view" }, h("h1", { tabindex: "-1" }, gettext("Something went wrong")), h("p", { role: "alert" }, message)));
    } finally {
      if (seq === renderSeq) main.removeAttribute("aria-busy");
    }
  },

  announce(text) {
    const live = $("now-playing-live");
    live.textContent = "";
    // A fresh text node so screen readers announce repeated messages too.
    setTimeout(() => (live.textContent = text), 50);
  },

  markPlaying(root = main) {
    const id = player.current ? String(player.current.id) : null;
    for (const row of root.querySelectorAll(".track-row")) {
      const on = row.dataset.trackId === id;
      row.classList.toggle("playing", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  },

  async refreshSidebar() {
    try {
      const page = await api("me/playlists", { query: { limit: 50 } });
      app.myPlaylists = page.items;
    } catch {
      return;
    }
    $("sidebar-playlists").replaceChildren(
      ...app.myPlaylists.map((p) => h("li", {}, h("a", { href: `/playlist/${p.id}`, "data-link": true }, p.name))),
    );
    highlightNav(window.location.pathname);
  },

  async createPlaylist() {
    const body = h("div", {},
      h("label", { for: "dialog-new-name" }, gettext("Name")),
      h("input", { id: "dialog-new-name", name: "name", required: true, maxlength: "200", value: interpolate(gettext("My playlist #%(n)s"), { n: app.myPlaylists.length + 1 }) }),
      h("label", { for: "dialog-new-description" }, gettext("Description")),
      h("textarea", { id: "dialog-new-description", name: "description", rows: "3" }),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "public", checked: true }), gettext("Public")),
    );
    const data = await openDialog({ title: gettext("Create playlist"), body, okLabel: gettext("Create") });
    if (!data) return null;
    try {
      const playlist = await api("me/playlists", {
        method: "POST",
        body: { name: data.get("name"), description: data.get("description"), public: data.get("public") === "on" },
      });
      await app.refreshSidebar();
      toast(interpolate(gettext("Created %(name)s"), { name: playlist.name }));
      return playlist;
    } catch (error) {
      toast(error.message);
      return null;
    }
  },

  // Switch the UI language in place: the cookie for Django, then the shell's translated
  // chrome and the JavaScript catalog, then re-render; the audio keeps playing.
  async switchLanguage(language) {
    await postForm(boot.urls.set_language, { language });
    const response = await fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const el of fresh.querySelectorAll("[data-t]")) {
      const here = document.querySelector(`[data-t="${el.dataset.t}"]`);
      if (!here) continue;
      for (const attr of ["aria-label", "title", "placeholder"]) {
        if (el.hasAttribute(attr)) here.setAttribute(attr, el.getAttribute(attr));
      }
      if (!el.children.length || el.tagName === "OPTION") here.textContent = el.textContent;
    }
    document.documentElement.lang = language;
    await reloadCatalog(boot.urls.jsi18n, language);
    boot.user.language = language;
    paintPlayer();
    paintOptions();
    paintQueue();
    await app.render({ focus: false });
  },
};

function highlightNav(path) {
  for (const link of document.querySelectorAll(".sidebar a[data-link], .bottom-nav a[data-link]")) {
    const here = new URL(link.href).pathname === path;
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// ---- links and history ----------------------------------------------------------------------

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href);
  if (url.origin !== window.location.origin || link.getAttribute("href") === "#") {
    if (link.getAttribute("href") === "#") event.preventDefault();
    return;
  }
  event.preventDefault();
  app.navigate(url);
});

window.addEventListener("popstate", () => app.render());
$("back").addEventListener("click", () => history.back());

// ---- search as you type ---------------------------------------------------------------------

const searchInput = $("search-input");
let searchTimer = null;
searchInput.value = window.location.pathname.startsWith("/search") ? new URLSearchParams(window.location.search).get("q") || "" : "";
searchInput.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = searchInput.value.trim();
    const onSearch = window.location.pathname.startsWith("/search");
    app.navigate(q ? `/search?q=${encodeURIComponent(q)}` : "/search", { replace: onSearch });
  }, 250);
});
recentSearchesPanel({
  input: searchInput,
  userId: boot.user.id,
  onPick: (q) => {
    searchInput.value = q;
    rememberSearch(boot.user.id, q);
    app.navigate(`/search?q=${encodeURIComponent(q)}`, { replace: window.location.pathname.startsWith("/search") });
  },
});
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  const q = searchInput.value.trim();
  rememberSearch(boot.user.id, q);
  app.navigate(`/search?q=${encodeURIComponent(q)}`, { replace: window.location.pathname.startsWith("/search") });
});

// ---- player bar ------------------------------------------------------------------------------

const ui = {
  play: $("btn-play"),
  prev: $("btn-prev"),
  next: $("btn-next"),
  shuffle: $("btn-shuffle"),
  repeat: $("btn-repeat"),
  seek: $("seek"),
  elapsed: $("time-elapsed"),
  total: $("time-total"),
  volume: $("volume"),
  mute: $("btn-mute"),
  quality: $("quality"),
  queue: $("btn-queue"),
  like: $("np-like"),
  title: $("np-title"),
  artists: $("np-artists"),
  cover: $("np-cover"),
};
let seeking = false;

function paintPlayer() {
  const track = player.current;
  const playing = player.playing;
  ui.play.setAttribute("aria-label", playing ? gettext("Pause") : gettext("Play"));
  setIcon(ui.play, playing ? "pause" : "play");
  ui.play.classList.toggle("is-playing", playing);
  document.body.classList.toggle("has-track", Boolean(track));
  ui.like.disabled = !track;
  ui.seek.disabled = !track;
  if (track) {
    ui.like.dataset.likeId = String(track.id);
    const state = likedState(track.id);
    ui.like.setAttribute("aria-pressed", state ? "true" : "false");
    ui.like.setAttribute("aria-label", state ? gettext("Remove from Liked songs") : gettext("Save to Liked songs"));
    ui.like.classList.toggle("on", Boolean(state));
  }
}

function paintTrack() {
  const track = player.current;
  if (!track) {
    // Nothing plays (its track was skipped): no stale title stays on show.
    ui.title.textContent = "";
    ui.title.hidden = true;
    ui.artists.replaceChildren();
    ui.cover.hidden = true;
    app.markPlaying();
    paintPlayer();
    return;
  }
  ui.title.textContent = track.name;
  ui.title.hidden = false;
  ui.title.href = track.album ? `/album/${track.album.id}` : "#";
  ui.artists.replaceChildren(
    ...(track.artists || []).flatMap((artist, i) => [i ? ", " : "", h("a", { href: `/artist/${artist.id}`, "data-link": true }, artist.name)]),
  );
  const image = track.album?.images?.[0]?.url;
  ui.cover.hidden = !image;
  if (image) ui.cover.src = image;
  app.announce(interpolate(gettext("Now playing: %(name)s by %(artists)s"), { name: track.name, artists: (track.artists || []).map((a) => a.name).join(", ") }));
  document.title = `${track.name} · ${(track.artists || []).map((a) => a.name).join(", ")}`;
  app.markPlaying();
  paintPlayer();
  syncLikes($("player")).catch(() => {});
}

function paintTime() {
  const audio = player.audio;
  const duration = Number.isFinite(audio.duration) ? audio.duration : (player.current?.duration_ms || 0) / 1000;
  ui.seek.max = String(duration || 0);
  if (!seeking) ui.seek.value = String(audio.currentTime || 0);
  ui.elapsed.textContent = formatTime(seeking ? Number(ui.seek.value) : audio.currentTime);
  ui.total.textContent = formatTime(duration);
  ui.seek.setAttribute("aria-valuetext", interpolate(gettext("%(elapsed)s of %(total)s"), { elapsed: formatTime(Number(ui.seek.value)), total: formatTime(duration) }));
  ui.seek.style.setProperty("--progress", duration ? `${(Number(ui.seek.value) / duration) * 100}%` : "0%");
}

function paintOptions() {
  ui.shuffle.setAttribute("aria-pressed", player.shuffle ? "true" : "false");
  ui.shuffle.setAttribute("aria-label", player.shuffle ? gettext("Shuffle: on") : gettext("Shuffle: off"));
  const repeatLabels = { off: gettext("Repeat: off"), all: gettext("Repeat: all"), one: gettext("Repeat: one") };
  ui.repeat.setAttribute("aria-label", repeatLabels[player.repeat]);
  ui.repeat.setAttribute("aria-pressed", player.repeat === "off" ? "false" : "true");
  ui.repeat.dataset.mode = player.repeat;
  ui.volume.value = String(player.muted ? 0 : player.volume);
  ui.volume.setAttribute("aria-valuetext", `${Math.round((player.muted ? 0 : player.volume) * 100)}%`);
  ui.mute.setAttribute("aria-pressed", player.muted ? "true" : "false");
  ui.mute.setAttribute("aria-label", player.muted ? gettext("Unmute") : gettext("Mute"));
  setIcon(ui.mute, player.muted || player.volume === 0 ? "mute" : "volume");
  ui.quality.value = player.quality;
}

player.addEventListener("track", paintTrack);
player.addEventListener("state", paintPlayer);
player.addEventListener("time", paintTime);
player.addEventListener("options", paintOptions);
player.addEventListener("queue", () => paintQueue());
player.addEventListener("rejected", () => {
  const { track } = player.rejection;
  toast(interpolate(gettext("Can’t play %(name)s: %(reason)s"), { name: track.name, reason: reasonText(track) }));
  app.markPlaying();
});
player.addEventListener("error", () => toast(gettext("This track could not be played.")));
player.addEventListener("unreachable", () => toast(navigator.onLine ? gettext("The server could not be reached. Try again in a moment.") : gettext("You are offline. Plays are kept and sent when you are back online.")));

ui.play.addEventListener("click", () => player.toggle());
ui.prev.addEventListener("click", () => player.previous());
ui.next.addEventListener("click", () => player.next());
ui.shuffle.addEventListener("click", () => player.toggleShuffle());
ui.repeat.addEventListener("click", () => player.cycleRepeat());
ui.mute.addEventListener("click", () => player.toggleMute());
ui.volume.addEventListener("input", () => player.setVolume(Number(ui.volume.value)));
ui.quality.addEventListener("change", () => player.setQuality(ui.quality.value));
ui.like.addEventListener("click", () => {
  if (player.current) toggleLike(player.current.id).then(paintPlayer, (error) => toast(error.message));
});
ui.seek.addEventListener("input", () => {
  seeking = true;
  paintTime();
});
ui.seek.addEventListener("change", () => {
  seeking = false;
  player.seek(Number(ui.seek.value));
});
ui.seek.addEventListener("blur", () => (seeking = false));

// ---- queue panel ----------------------------------------------------------------------------

const queuePanel = $("queue-panel");
const queueList = $("queue-list");

function queueRow(track, position, total) {
  const name = track.name;
  const row = h("li", { class: "queue-item", draggable: "true", "data-position": String(position) },
    h("span", { class: "drag-handle", "aria-hidden": "true" }, icon("grip")),
    h("div", { class: "row-title" }, h("span", { class: "name" }, name), h("span", { class: "artists" }, (track.artists || []).map((a) => a.name).join(", "))),
    h("div", { class: "row-actions" },
      h("button", { type: "button", class: "icon move-up", "aria-label": interpolate(gettext("Move %(name)s up"), { name }), title: gettext("Move up"), disabled: position === 0, onclick: () => moveQueue(position, position - 1, "move-up") }, icon("up")),
      h("button", { type: "button", class: "icon move-down", "aria-label": interpolate(gettext("Move %(name)s down"), { name }), title: gettext("Move down"), disabled: position === total - 1, onclick: () => moveQueue(position, position + 1, "move-down") }, icon("down")),
      h("button", { type: "button", class: "icon remove", "aria-label": interpolate(gettext("Remove %(name)s from the queue"), { name }), title: gettext("Remove"), onclick: () => {
        player.removeUpcoming(position);
        app.announce(interpolate(gettext("Removed %(name)s from the queue"), { name }));
      } }, icon("close")),
    ),
  );
  row.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("text/x-streamify-queue", String(position));
    event.dataTransfer.effectAllowed = "move";
    row.classList.add("dragging");
  });
  row.addEventListener("dragend", () => row.classList.remove("dragging"));
  row.addEventListener("dragover", (event) => {
    event.preventDefault();
    row.classList.add("drop-target");
  });
  row.addEventListener("dragleave", () => row.classList.remove("drop-target"));
  row.addEventListener("drop", (event) => {
    event.preventDefault();
    row.classList.remove("drop-target");
    const from = Number(event.dataTransfer.getData("text/x-streamify-queue"));
    if (Number.isInteger(from)) moveQueue(from, position);
  });
  return row;
}

function moveQueue(from, to, focusClass) {
  const track = player.upcoming[from]?.track;
  if (!player.moveUpcoming(from, to)) return;
  if (focusClass) {
    const row = queueList.children[to];
    const button = row?.querySelector(`.${focusClass}`);
    (button && !button.disabled ? button : row?.querySelector("button:not([disabled])"))?.focus();
  }
  if (track) app.announce(interpolate(gettext("Moved %(name)s to position %(position)s"), { name: track.name, position: to + 1 }));
}

function paintQueue() {
  const current = player.current;
  $("queue-current").replaceChildren(current
    ? h("div", { class: "queue-now" }, h("span", { class: "name" }, current.name), h("span", { class: "artists" }, (current.artists || []).map((a) => a.name).join(", ")))
    : h("p", { class: "empty" }, gettext("Nothing is playing.")));
  const upcoming = player.upcoming;
  queueList.replaceChildren(...upcoming.map((entry, i) => queueRow(entry.track, i, upcoming.length)));
  if (!upcoming.length) queueList.append(h("li", { class: "empty" }, gettext("The queue is empty.")));
  $("queue-clear").disabled = !upcoming.length;
  app.markPlaying();
}

function toggleQueue(open = queuePanel.hidden) {
  queuePanel.hidden = !open;
  ui.queue.setAttribute("aria-pressed", open ? "true" : "false");
  document.body.classList.toggle("queue-open", open);
  if (open) {
    paintQueue();
    $("queue-title").setAttribute("tabindex", "-1");
    $("queue-title").focus();
  }
}

ui.queue.addEventListener("click", () => toggleQueue());
$("queue-close").addEventListener("click", () => {
  toggleQueue(false);
  ui.queue.focus();
});
$("queue-clear").addEventListener("click", () => {
  player.clearUpcoming();
  app.announce(gettext("Queue cleared"));
});

// ---- keyboard shortcuts ---------------------------------------------------------------------

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable='true']") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (event.key === "Escape" && !queuePanel.hidden) {
    toggleQueue(false);
    ui.queue.focus();
    return;
  }
  if (typing(target) && !(target === ui.seek || target === ui.volume) ) return;
  const onRange = target === ui.seek || target === ui.volume;
  const onButton = target.closest("button, a, summary") !== null;
  const key = event.key;
  let handled = true;
  if (key === " " || key === "Spacebar") {
    if (onButton) return;
    player.toggle();
  } else if (key === "ArrowRight" && event.shiftKey) player.next();
  else if (key === "ArrowLeft" && event.shiftKey) player.previous();
  else if (key === "ArrowRight" && (target === ui.seek || !onRange)) player.seekBy(5);
  else if (key === "ArrowLeft" && (target === ui.seek || !onRange)) player.seekBy(-5);
  else if (target === ui.seek && (key === "PageUp" || key === "PageDown")) player.seekBy(key === "PageUp" ? 30 : -30);
  else if (target === ui.seek && (key === "Home" || key === "End")) player.seek(key === "Home" ? 0 : Number(ui.seek.max));
  else if (key === "ArrowUp" && event.shiftKey) player.setVolume(player.volume + 0.1);
  else if (key === "ArrowDown" && event.shiftKey) player.setVolume(player.volume - 0.1);
  else if (onRange) return;
  else if (key === "m" || key === "M") player.toggleMute();
  else if (key === "s" || key === "S") player.toggleShuffle();
  else if (key === "r" || key === "R") player.cycleRepeat();
  else if (key === "q" || key === "Q") toggleQueue();
  else if ((key === "l" || key === "L") && player.current) ui.like.click();
  else if (key === "/") searchInput.focus();
  else handled = false;
  if (handled) event.preventDefault();
});

// ---- start ----------------------------------------------------------------------------------

$("new-playlist").addEventListener("click", async () => {
  const playlist = await app.createPlaylist();
  if (playlist) app.navigate(`/playlist/${playlist.id}`);
});

// Another device playing: this tab is its remote control until "Play here".
const remoteBar = $("remote-bar");
sync.addEventListener("remote", () => {
  const device = player.remote?.device;
  remoteBar.hidden = !device;
  document.body.classList.toggle("is-remote", Boolean(device));
  if (device) $("remote-name").textContent = device.name;
});
$("remote-take").addEventListener("click", () => sync.takeOver().catch((error) => toast(error.message)));

// While the catalogue is still transcoding (a fresh `make run`): "37 of 121 tracks ready".
const progressLine = $("catalogue-progress");
async function pollProgress() {
  let progress;
  try {
    const response = await fetch(boot.urls.transcode_progress, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    progress = await response.json();
  } catch {
    setTimeout(pollProgress, 15000);
    return;
  }
  const busy = progress.pending > 0;
  progressLine.hidden = !busy && !progress.failed;
  let text = interpolate(gettext("Preparing the catalogue: %(ready)s of %(total)s tracks ready"), progress);
  if (progress.failed) text += interpolate(gettext(", %(failed)s failed"), progress);
  if (!busy && progress.failed) text = interpolate(gettext("%(failed)s tracks could not be processed"), progress);
  progressLine.textContent = text;
  if (busy) setTimeout(pollProgress, 5000);
}

// Narrow screens: the compact player bar opens into a full-screen now-playing view.
const expandButton = $("np-expand");
function setFullPlayer(open) {
  document.body.classList.toggle("np-full", open);
  expandButton.setAttribute("aria-expanded", String(open));
  if (open) $("np-collapse").focus();
  else expandButton.focus();
}
expandButton.addEventListener("click", () => setFullPlayer(true));
$("np-collapse").addEventListener("click", () => setFullPlayer(false));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("np-full")) setFullPlayer(false);
});
window.addEventListener("popstate", () => document.body.classList.remove("np-full"));
document.addEventListener("click", (event) => {
  if (event.target.closest("#player a[data-link]") && document.body.classList.contains("np-full")) setFullPlayer(false);
});

window.streamify = app; // for the browser tests and the console
paintPlayer();
paintOptions();
paintQueue();
paintLikes();
outbox.start();
sync.start();
app.refreshSidebar();
app.render({ focus: false });
pollProgress();
