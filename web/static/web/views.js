// Content views, rendered in the browser from /api/v1/ JSON (Spotify Web API shapes).
// Each view gets `ctx` = {app, params, query, signal} and returns a DOM node.

import { api, chunks } from "./api.js";
import { cover, formatTime, h, icon, openDialog, toast } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { isPlayable } from "./player.js";
import { rememberSearch } from "./recent.js";

const MARKET = "from_token";

// ---- liked tracks and followed artists ------------------------------------------------

const liked = new Map();

export function likedState(trackId) {
  return liked.get(String(trackId));
}

function paintLike(button, on) {
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.setAttribute("aria-label", on ? gettext("Remove from Liked songs") : gettext("Save to Liked songs"));
  button.title = button.getAttribute("aria-label");
  button.classList.toggle("on", on);
}

export function paintLikes(root = document) {
  for (const button of root.querySelectorAll("[data-like-id]")) {
    const state = liked.get(button.dataset.likeId);
    if (state !== undefined) paintLike(button, state);
  }
}

export async function syncLikes(root = document) {
  const ids = [...new Set([...root.querySelectorAll("[data-like-id]")].map((b) => b.dataset.likeId))]
    .filter((id) => !liked.has(id));
  for (const group of chunks(ids)) {
    const flags = await api("me/tracks/contains", { query: { ids: group.join(",") } });
    // A like or unlike made while this answer was on its way is newer: keep it.
    group.forEach((id, i) => {
      if (!liked.has(id)) liked.set(id, Boolean(flags[i]));
    });
  }
  paintLikes(document);
}

export async function toggleLike(trackId) {
  const id = String(trackId);
  const on = !liked.get(id);
  await api("me/tracks", { method: on ? "PUT" : "DELETE", query: { ids: id } });
  liked.set(id, on);
  paintLikes(document);
  toast(on ? gettext("Added to Liked songs") : gettext("Removed from Liked songs"));
  return on;
}

function likeButton(track) {
  const button = h(
    "button",
    {
      type: "button",
      class: "icon like",
      "data-like-id": String(track.id),
      "aria-pressed": "false",
      "aria-label": gettext("Save to Liked songs"),
      title: gettext("Save to Liked songs"),
    },
    icon("heart"),
  );
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    toggleLike(track.id).catch((error) => toast(error.message));
  });
  return button;
}

// ---- small pieces -------------------------------------------------------------------------

// A link that opens `path` in the player: the system share sheet where there is one
// (phones), else the clipboard.
export async function share(path, title) {
  const url = new URL(path, window.location.origin).href;
  try {
    if (navigator.share && window.matchMedia("(pointer: coarse)").matches) {
      await navigator.share({ title, url });
      return;
    }
    await navigator.clipboard.writeText(url);
    toast(gettext("Link copied"));
  } catch (error) {
    if (error.name === "AbortError") return;
    window.prompt(gettext("Copy this link"), url);
  }
}

function shareButton(path, name) {
  const label = interpolate(gettext("Share %(name)s"), { name });
  return h("button", { type: "button", class: "icon share", "aria-label": label, title: gettext("Copy link"), onclick: () => share(path, name) }, icon("share"));
}

function trackPath(track) {
  return track.album ? `/album/${track.album.id}?track=${track.id}` : "/";
}

function artistLinks(artists) {
  const out = [];
  (artists || []).forEach((artist, i) => {
    if (i) out.push(", ");
    out.push(h("a", { href: `/artist/${artist.id}`, "data-link": true }, artist.name));
  });
  return out;
}

export function reasonText(track) {
  const reason = track.restrictions?.reason;
  if (reason === "explicit") return gettext("Explicit content is turned off");
  if (reason === "product") return gettext("Not available with your plan");
  if (reason === "processing") return gettext("Still processing: try again in a minute");
  if (reason === "failed") return gettext("Unavailable: its audio could not be processed");
  if (reason === "no_audio") return gettext("Unavailable: no audio yet");
  if (reason === "removed") return gettext("Removed from the catalogue");
  if (reason === "unavailable") return gettext("Unavailable");
  return gettext("Not licensed in your country");
}

function heading(text, level = 1) {
  return h(`h${level}`, { tabindex: level === 1 ? "-1" : null }, text);
}

function section(title, ...content) {
  const id = `s-${Math.random().toString(36).slice(2, 8)}`;
  return h("section", { class: "shelf", "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function empty(text) {
  return h("p", { class: "empty" }, text);
}

function year(date) {
  return date ? String(date).slice(0, 4) : "";
}

function playlistContextType(playlist) {
  const kind = playlist.kind || playlist.streamify_kind;
  if (kind === "editorial" || kind === "personalised") return kind;
  return "playlist";
}

// ---- cards ---------------------------------------------------------------------------------

function card({ href, images, title, subtitle, round = false, onPlay, playLabel }) {
  const body = h(
    "a",
    { class: "card-link", href, "data-link": true },
    h("div", { class: round ? "card-cover round" : "card-cover" }, cover(images, title)),
    h("span", { class: "card-title" }, title),
    subtitle ? h("span", { class: "card-subtitle" }, subtitle) : null,
  );
  const play = onPlay
    ? h("button", { type: "button", class: "icon card-play", "aria-label": playLabel, title: playLabel, onclick: onPlay }, icon("play"))
    : null;
  return h("li", { class: "card" }, body, play);
}

function playlistCard(app, playlist) {
  return card({
    href: `/playlist/${playlist.id}`,
    images: playlist.images,
    title: playlist.name,
    subtitle: playlist.description || interpolate(gettext("By %(owner)s"), { owner: playlist.owner?.display_name || "" }),
    onPlay: () => playPlaylist(app, playlist),
    playLabel: interpolate(gettext("Play %(name)s"), { name: playlist.name }),
  });
}

function albumCard(app, album) {
  return card({
    href: `/album/${album.id}`,
    images: album.images,
    title: album.name,
    subtitle: [year(album.release_date), (album.artists || []).map((a) => a.name).join(", ")].filter(Boolean).join(" · "),
    onPlay: () => playAlbum(app, album),
    playLabel: interpolate(gettext("Play %(name)s"), { name: album.name }),
  });
}

function artistCard(artist) {
  return card({ href: `/artist/${artist.id}`, images: artist.images, title: artist.name, subtitle: gettext("Artist"), round: true });
}

function cards(items) {
  return h("ul", { class: "cards" }, items);
}

// ---- playing collections ------------------------------------------------------------------

async function playlistTracks(playlist, signal) {
  const tracks = [];
  let page = await api(`playlists/${playlist.id}/tracks`, { query: { market: MARKET, limit: 50 }, signal });
  for (;;) {
    tracks.push(...page.items.map((item) => item.track).filter(Boolean));
    if (!page.next || tracks.length >= 500) break;
    page = await api(page.next, { signal });
  }
  return tracks;
}

function withAlbum(tracks, album) {
  const { tracks: _ignored, ...bare } = album;
  return tracks.map((track) => (track.album ? track : { ...track, album: bare }));
}

async function albumTracks(album, signal) {
  const tracks = [];
  let page = album.tracks?.items ? album.tracks : await api(`albums/${album.id}/tracks`, { query: { market: MARKET, limit: 50 }, signal });
  for (;;) {
    tracks.push(...page.items);
    if (!page.next) break;
    page = await api(page.next, { signal });
  }
  return withAlbum(tracks, album);
}

function startPlayback(app, tracks, index, context) {
  const track = tracks[index];
  if (track && !isPlayable(track)) {
    toast(reasonText(track));
    return;
  }
  if (!app.player.setQueue(tracks, index, context)) toast(gettext("Nothing here can be played in your country."));
}

async function playPlaylist(app, playlist) {
  try {
    const tracks = await playlistTracks(playlist);
    startPlayback(app, tracks, Math.max(0, tracks.findIndex(isPlayable)), { type: playlistContextType(playlist), id: playlist.id });
  } catch (error) {
    toast(error.message);
  }
}

async function playAlbum(app, album) {
  try {
    const full = album.tracks ? album : await api(`albums/${album.id}`, { query: { market: MARKET } });
    const tracks = await albumTracks(full);
    startPlayback(app, tracks, Math.max(0, tracks.findIndex(isPlayable)), { type: "album", id: album.id });
  } catch (error) {
    toast(error.message);
  }
}

// ---- track lists --------------------------------------------------------------------------

async function addToPlaylistDialog(app, track) {
  const own = app.myPlaylists.filter((p) => p.owner?.id === app.boot.user.id);
  const select = h("select", { name: "playlist", id: "dialog-playlist" },
    own.map((p) => h("option", { value: p.id }, p.name)),
    h("option", { value: "new" }, gettext("New playlist…")),
  );
  const body = h("div", {}, h("label", { for: "dialog-playlist" }, gettext("Playlist")), select);
  const data = await openDialog({ title: interpolate(gettext("Add “%(name)s” to playlist"), { name: track.name }), body, okLabel: gettext("Add") });
  if (!data) return;
  let playlistId = data.get("playlist");
  try {
    if (playlistId === "new") {
      const created = await app.createPlaylist();
      if (!created) return;
      playlistId = created.id;
    }
    await api(`playlists/${playlistId}/tracks`, { method: "POST", body: { uris: [track.uri || `streamify:track:${track.id}`] } });
    const target = app.myPlaylists.find((p) => String(p.id) === String(playlistId));
    toast(interpolate(gettext("Added to %(name)s"), { name: target?.name || "" }));
    if (app.currentPath() === `/playlist/${playlistId}`) app.render();
  } catch (error) {
    toast(error.message);
  }
}

// Rows of tracks; `edit` = {onRemove(i), onMove(from, to)} on the owner's playlist.
export function trackList(app, tracks, { context, showAlbum = true, numbers = false, edit = null } = {}) {
  const list = h("ol", { class: "tracks", "aria-label": gettext("Tracks") });
  tracks.forEach((track, i) => {
    const playable = isPlayable(track);
    const label = interpolate(gettext("Play %(name)s by %(artists)s"), {
      name: track.name,
      artists: (track.artists || []).map((a) => a.name).join(", "),
    });
    const play = h("button", {
      type: "button",
      class: "icon row-play",
      "aria-label": playable ? label : `${track.name}: ${reasonText(track)}`,
      title: playable ? label : reasonText(track),
      disabled: !playable,
      onclick: () => startPlayback(app, tracks, i, context),
    }, icon("play"));
    // The number stays outside the button: visible text inside it would have to be in its name.
    const lead = h("div", { class: "row-lead" }, h("span", { class: "num", "aria-hidden": "true" }, numbers ? String(track.track_number || i + 1) : String(i + 1)), play);
    const title = h("div", { class: "row-title" },
      h("span", { class: "name" }, track.name, track.explicit ? h("abbr", { class: "explicit", title: gettext("Explicit") }, "E") : null),
      h("span", { class: "artists" }, artistLinks(track.artists)),
      playable ? null : h("span", { class: "reason" }, reasonText(track)),
    );
    const actions = h("div", { class: "row-actions" });
    if (playable) {
      actions.append(
        likeButton(track),
        h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Play %(name)s next"), { name: track.name }), title: gettext("Play next"), onclick: () => {
          app.player.playNext(track);
          toast(gettext("Will play next"));
        } }, icon("play-next")),
        h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Add %(name)s to queue"), { name: track.name }), title: gettext("Add to queue"), onclick: () => {
          app.player.addToQueue(track);
          toast(gettext("Added to queue"));
        } }, icon("add-queue")),
      );
    }
    actions.append(h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Add %(name)s to a playlist"), { name: track.name }), title: gettext("Add to playlist"), onclick: () => addToPlaylistDialog(app, track) }, icon("plus")));
    if (track.album) actions.append(shareButton(trackPath(track), track.name));
    if (edit) {
      actions.append(
        h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Move %(name)s up"), { name: track.name }), title: gettext("Move up"), disabled: i === 0, onclick: () => edit.onMove(i, i - 1) }, icon("up")),
        h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Move %(name)s down"), { name: track.name }), title: gettext("Move down"), disabled: i === tracks.length - 1, onclick: () => edit.onMove(i, i + 1) }, icon("down")),
        h("button", { type: "button", class: "icon", "aria-label": interpolate(gettext("Remove %(name)s from this playlist"), { name: track.name }), title: gettext("Remove from playlist"), onclick: () => edit.onRemove(i) }, icon("close")),
      );
    }
    // Narrow screens show the like button and this one; it reveals the other actions.
    const more = h("button", {
      type: "button",
      class: "icon row-more",
      "aria-expanded": "false",
      "aria-label": interpolate(gettext("More actions for %(name)s"), { name: track.name }),
      title: gettext("More actions"),
      onclick: () => {
        const open = !row.classList.contains("actions-open");
        row.classList.toggle("actions-open", open);
        more.setAttribute("aria-expanded", String(open));
      },
    }, h("span", { "aria-hidden": "true" }, "⋯"));
    actions.append(more);
    const row = h("li", {
      class: playable ? "track-row" : "track-row unplayable",
      "aria-disabled": playable ? null : "true",
      "data-track-id": String(track.id),
      draggable: edit ? "true" : null,
    },
      lead,
      showAlbum && track.album ? h("div", { class: "row-cover" }, cover(track.album.images, track.name, 40)) : null,
      title,
      showAlbum && track.album ? h("a", { class: "row-album", href: `/album/${track.album.id}`, "data-link": true }, track.album.name) : null,
      h("span", { class: "row-duration" }, formatTime((track.duration_ms || 0) / 1000)),
      actions,
    );
    row.addEventListener("dblclick", (event) => {
      if (!event.target.closest("a, button")) startPlayback(app, tracks, i, context);
    });
    // A pointer resting on a row asks for its stream URL ahead of a likely click.
    let warmTimer = null;
    row.addEventListener("pointerenter", () => {
      warmTimer = setTimeout(() => app.player.warm(track), 60);
    });
    row.addEventListener("pointerleave", () => clearTimeout(warmTimer));
    if (edit) {
      row.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/x-streamify-row", String(i));
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
        const from = Number(event.dataTransfer.getData("text/x-streamify-row"));
        if (Number.isInteger(from) && from !== i) edit.onMove(from, i);
      });
    }
    list.append(row);
  });
  app.markPlaying(list);
  syncLikes(list).catch(() => {});
  return list;
}

function playButton(label, onclick) {
  return h("button", { type: "button", class: "play-big", "aria-label": label, title: label, onclick }, icon("play"));
}

// ---- views ---------------------------------------------------------------------------------

export async function homeView({ app, signal }) {
  // The browse shelves (editorial's API) in the listener's market and language.
  const shelf = { market: MARKET, locale: `${app.boot.user.language}_${app.boot.user.country}`, limit: 12 };
  const [madeForYou, featured, releases, recent] = await Promise.allSettled([
    api("browse/categories/made-for-you/playlists", { query: shelf, signal }),
    api("browse/featured-playlists", { query: shelf, signal }),
    api("browse/new-releases", { query: shelf, signal }),
    api("me/player/recently-played", { query: { limit: 20 }, signal }),
  ]);
  const hour = new Date().getHours();
  const greeting = hour < 12 ? gettext("Good morning") : hour < 18 ? gettext("Good afternoon") : gettext("Good evening");
  const root = h("div", { class: "view home" }, heading(greeting));
  const addShelf = (result, pick, title, render, emptyText) => {
    const items = result.status === "fulfilled" ? pick(result.value) : [];
    if (!items.length && !emptyText) return;
    root.append(section(title, items.length ? cards(items.map(render)) : empty(emptyText)));
  };
  addShelf(madeForYou, (v) => v.playlists.items, gettext("Made for you"), (p) => playlistCard(app, { ...p, kind: "personalised" }), gettext("Discover Weekly and Release Radar appear here once you have listened for a while."));
  if (recent.status === "fulfilled") {
    const seen = new Set();
    const tracks = recent.value.items.map((item) => item.track).filter((t) => t && !seen.has(t.id) && seen.add(t.id));
    if (tracks.length) {
      root.append(section(gettext("Recently played"), cards(tracks.slice(0, 12).map((track, i) => card({
        href: track.album ? `/album/${track.album.id}` : "#",
        images: track.album?.images,
        title: track.name,
        subtitle: (track.artists || []).map((a) => a.name).join(", "),
        onPlay: () => startPlayback(app, tracks, i, { type: "other", id: "" }),
        playLabel: interpolate(gettext("Play %(name)s"), { name: track.name }),
      })))));
    }
  }
  const featuredTitle = (featured.status === "fulfilled" && featured.value.message) || gettext("Editor’s picks");
  addShelf(featured, (v) => v.playlists.items, featuredTitle, (p) => playlistCard(app, { ...p, kind: "editorial" }));
  addShelf(releases, (v) => v.albums.items, gettext("New releases"), (a) => albumCard(app, a));
  return root;
}

export async function searchView({ app, query, signal }) {
  const q = (query.get("q") || "").trim();
  const root = h("div", { class: "view search" }, heading(q ? interpolate(gettext("Results for “%(q)s”"), { q }) : gettext("Search")));
  if (!q) {
    root.append(empty(gettext("Type in the search box to find tracks, artists, albums and playlists.")));
    return root;
  }
  const result = await api("search", { query: { q, type: "track,artist,album,playlist", market: MARKET, limit: 10 }, signal });
  const tracks = result.tracks?.items || [];
  const artists = result.artists?.items || [];
  const albums = result.albums?.items || [];
  const playlists = result.playlists?.items?.filter(Boolean) || [];
  if (!tracks.length && !artists.length && !albums.length && !playlists.length) {
    root.append(empty(interpolate(gettext("Nothing found for “%(q)s”."), { q })));
    return root;
  }
  if (result.corrected_query) {
    // The server corrected a misspelt word (nothing matched as typed).
    root.append(h("p", { class: "corrected", role: "status" }, interpolate(gettext("Showing results for “%(corrected)s”"), { corrected: result.corrected_query })));
  }
  // Using a result makes this a recent search.
  root.addEventListener("click", (event) => {
    if (event.target.closest("a, button")) rememberSearch(app.boot.user.id, q);
  });
  if (tracks.length) root.append(section(gettext("Tracks"), trackList(app, tracks, { context: { type: "search", id: q.slice(0, 64) } })));
  if (artists.length) root.append(section(gettext("Artists"), cards(artists.map(artistCard))));
  if (albums.length) root.append(section(gettext("Albums"), cards(albums.map((a) => albumCard(app, a)))));
  if (playlists.length) root.append(section(gettext("Playlists"), cards(playlists.map((p) => playlistCard(app, p)))));
  return root;
}

function followButton({ following, onToggle, name }) {
  const button = h("button", { type: "button", class: "pill", "aria-pressed": following ? "true" : "false" });
  const paint = (on) => {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? gettext("Following") : gettext("Follow");
    button.setAttribute("aria-label", interpolate(on ? gettext("Unfollow %(name)s") : gettext("Follow %(name)s"), { name }));
  };
  paint(following);
  button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    try {
      await onToggle(on);
      paint(on);
      toast(interpolate(on ? gettext("You follow %(name)s") : gettext("You no longer follow %(name)s"), { name }));
    } catch (error) {
      toast(error.message);
    }
  });
  return button;
}

export async function artistView({ app, params, signal }) {
  const id = params[0];
  const [artist, top, albums, following] = await Promise.all([
    api(`artists/${id}`, { signal }),
    api(`artists/${id}/top-tracks`, { query: { market: MARKET }, signal }),
    api(`artists/${id}/albums`, { query: { market: MARKET, limit: 50 }, signal }),
    api("me/following/contains", { query: { type: "artist", ids: id }, signal }),
  ]);
  const tracks = top.tracks || [];
  const context = { type: "artist", id };
  const header = h("header", { class: "view-header" },
    h("div", { class: "header-cover round" }, cover(artist.images, artist.name, 200)),
    h("div", {},
      h("p", { class: "kind" }, gettext("Artist")),
      heading(artist.name),
      artist.followers ? h("p", { class: "meta" }, interpolate(ngettext("%(count)s follower", "%(count)s followers", artist.followers.total), { count: artist.followers.total })) : null,
      h("div", { class: "header-actions" },
        tracks.some(isPlayable) ? playButton(interpolate(gettext("Play %(name)s"), { name: artist.name }), () => startPlayback(app, tracks, tracks.findIndex(isPlayable), context)) : null,
        followButton({
          following: Boolean(following[0]),
          name: artist.name,
          onToggle: (on) => api("me/following", { method: on ? "PUT" : "DELETE", query: { type: "artist", ids: id } }),
        }),
        shareButton(`/artist/${artist.id}`, artist.name),
      ),
    ),
  );
  const root = h("div", { class: "view artist" }, header);
  root.append(section(gettext("Popular"), tracks.length ? trackList(app, tracks, { context }) : empty(gettext("No tracks yet."))));
  if (albums.items.length) root.append(section(gettext("Discography"), cards(albums.items.map((a) => albumCard(app, a)))));
  return root;
}

export async function albumView({ app, params, query, signal }) {
  const album = await api(`albums/${params[0]}`, { query: { market: MARKET }, signal });
  const tracks = await albumTracks(album, signal);
  const context = { type: "album", id: album.id };
  const total = album.total_tracks ?? tracks.length;
  const header = h("header", { class: "view-header" },
    h("div", { class: "header-cover" }, cover(album.images, album.name, 200)),
    h("div", {},
      h("p", { class: "kind" }, album.album_type === "single" ? gettext("Single") : album.album_type === "compilation" ? gettext("Compilation") : gettext("Album")),
      heading(album.name),
      h("p", { class: "meta" }, artistLinks(album.artists), " · ", year(album.release_date), " · ",
        interpolate(ngettext("%(count)s track", "%(count)s tracks", total), { count: total })),
      h("div", { class: "header-actions" },
        tracks.some(isPlayable) ? playButton(interpolate(gettext("Play %(name)s"), { name: album.name }), () => startPlayback(app, tracks, tracks.findIndex(isPlayable), context)) : null,
        shareButton(`/album/${album.id}`, album.name),
      ),
    ),
  );
  const list = trackList(app, tracks, { context, showAlbum: false, numbers: true });
  // A shared track link (`/album/1?track=7`) shows its row.
  const shared = query?.get("track") && list.querySelector(`[data-track-id="${CSS.escape(query.get("track"))}"]`);
  if (shared) {
    shared.classList.add("shared");
    requestAnimationFrame(() => shared.scrollIntoView({ block: "center" }));
  }
  return h("div", { class: "view album" }, header, list,
    album.copyrights?.length ? h("p", { class: "fine" }, album.copyrights.map((c) => c.text).join(" · ")) : null);
}

async function editPlaylistDialog(app, playlist) {
  const body = h("div", {},
    h("label", { for: "dialog-name" }, gettext("Name")),
    h("input", { id: "dialog-name", name: "name", required: true, maxlength: "200", value: playlist.name }),
    h("label", { for: "dialog-description" }, gettext("Description")),
    h("textarea", { id: "dialog-description", name: "description", rows: "3" }, playlist.description || ""),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "public", checked: playlist.public !== false }), gettext("Public")),
  );
  const data = await openDialog({ title: gettext("Edit details"), body });
  if (!data) return false;
  await api(`playlists/${playlist.id}`, {
    method: "PUT",
    body: { name: data.get("name"), description: data.get("description"), public: data.get("public") === "on" },
  });
  toast(gettext("Playlist saved"));
  await app.refreshSidebar();
  return true;
}

export async function playlistView({ app, params, signal }) {
  const id = params[0];
  const [playlist, following] = await Promise.all([
    api(`playlists/${id}`, { query: { market: MARKET }, signal }),
    api(`playlists/${id}/followers/contains`, { query: { ids: app.boot.user.id }, signal }).catch(() => [false]),
  ]);
  const tracks = await playlistTracks(playlist, signal);
  const own = String(playlist.owner?.id) === app.boot.user.id;
  const context = { type: playlistContextType(playlist), id: playlist.id };
  let snapshot = playlist.snapshot_id;
  const root = h("div", { class: "view playlist" });
  const listHolder = h("div", {});
  const edit = own ? {
    async onMove(from, to) {
      const insertBefore = to > from ? to + 1 : to;
      try {
        const result = await api(`playlists/${id}/tracks`, { method: "PUT", body: { range_start: from, insert_before: insertBefore, range_length: 1, snapshot_id: snapshot } });
        snapshot = result.snapshot_id;
        const [moved] = tracks.splice(from, 1);
        tracks.splice(to, 0, moved);
        redraw();
        const button = listHolder.querySelectorAll(".track-row")[to]?.querySelector(to > from ? '[title="' + gettext("Move down") + '"]' : '[title="' + gettext("Move up") + '"]');
        (button && !button.disabled ? button : listHolder.querySelectorAll(".track-row")[to]?.querySelector("button"))?.focus();
        app.announce(interpolate(gettext("Moved %(name)s to position %(position)s"), { name: moved.name, position: to + 1 }));
      } catch (error) {
        toast(error.message);
        if (error.status === 409) app.render();
      }
    },
    async onRemove(index) {
      const track = tracks[index];
      try {
        const result = await api(`playlists/${id}/tracks`, { method: "DELETE", body: { tracks: [{ uri: track.uri || `streamify:track:${track.id}`, positions: [index] }], snapshot_id: snapshot } });
        snapshot = result.snapshot_id;
        tracks.splice(index, 1);
        redraw();
        toast(interpolate(gettext("Removed %(name)s"), { name: track.name }));
      } catch (error) {
        toast(error.message);
        if (error.status === 409 || error.status === 400) app.render();
      }
    },
  } : null;
  const count = h("span", {});
  function redraw() {
    count.textContent = interpolate(ngettext("%(count)s track", "%(count)s tracks", tracks.length), { count: tracks.length });
    listHolder.replaceChildren(tracks.length ? trackList(app, tracks, { context, edit }) : empty(own ? gettext("Find tracks with search and add them with ＋.") : gettext("This playlist is empty.")));
  }
  const actions = h("div", { class: "header-actions" },
    playButton(interpolate(gettext("Play %(name)s"), { name: playlist.name }), () => startPlayback(app, tracks, Math.max(0, tracks.findIndex(isPlayable)), context)),
    shareButton(`/playlist/${playlist.id}`, playlist.name),
  );
  if (own) {
    actions.append(h("button", { type: "button", class: "pill", onclick: async () => {
      try {
        if (await editPlaylistDialog(app, playlist)) app.render();
      } catch (error) {
        toast(error.message);
      }
    } }, gettext("Edit details")));
  } else {
    actions.append(followButton({
      following: Boolean(following[0]),
      name: playlist.name,
      onToggle: async (on) => {
        await api(`playlists/${id}/followers`, { method: on ? "PUT" : "DELETE" });
        await app.refreshSidebar();
      },
    }));
  }
  root.append(h("header", { class: "view-header" },
    h("div", { class: "header-cover" }, cover(playlist.images, playlist.name, 200)),
    h("div", {},
      h("p", { class: "kind" }, playlist.public === false ? gettext("Private playlist") : gettext("Playlist")),
      heading(playlist.name),
      playlist.description ? h("p", { class: "description" }, playlist.description) : null,
      h("p", { class: "meta" }, playlist.owner?.display_name || "", " · ", count),
      actions,
    ),
  ), listHolder);
  redraw();
  return root;
}

export async function likedView({ app, signal }) {
  const tracks = [];
  let page = await api("me/tracks", { query: { market: MARKET, limit: 50 }, signal });
  tracks.push(...page.items.map((item) => item.track));
  const context = { type: "collection", id: "" };
  const root = h("div", { class: "view liked" });
  const holder = h("div", {});
  const more = h("button", { type: "button", class: "pill", onclick: async () => {
    page = await api(page.next);
    tracks.push(...page.items.map((item) => item.track));
    draw();
  } }, gettext("Load more"));
  function draw() {
    holder.replaceChildren(tracks.length ? trackList(app, tracks, { context }) : empty(gettext("Tracks you like appear here. Tap the heart on any track.")));
    more.hidden = !page.next;
  }
  root.append(h("header", { class: "view-header" },
    h("div", { class: "header-cover liked-cover", "aria-hidden": "true" }, icon("heart")),
    h("div", {},
      h("p", { class: "kind" }, gettext("Playlist")),
      heading(gettext("Liked songs")),
      h("p", { class: "meta" }, interpolate(ngettext("%(count)s track", "%(count)s tracks", page.total), { count: page.total })),
      h("div", { class: "header-actions" }, playButton(gettext("Play Liked songs"), () => startPlayback(app, tracks, Math.max(0, tracks.findIndex(isPlayable)), context))),
    ),
  ), holder, more);
  draw();
  return root;
}

export async function libraryView({ app, signal }) {
  // Your library: playlists (Liked songs first), saved albums and followed artists.
  const [playlists, albums, artists] = await Promise.all([
    api("me/playlists", { query: { limit: 50 }, signal }),
    api("me/albums", { query: { market: MARKET, limit: 50 }, signal }),
    api("me/following", { query: { type: "artist", limit: 50 }, signal }),
  ]);
  const likedCard = h("li", { class: "card" }, h("a", { class: "card-link", href: "/collection/tracks", "data-link": true },
    h("div", { class: "card-cover liked-cover", "aria-hidden": "true" }, icon("heart")),
    h("span", { class: "card-title" }, gettext("Liked songs")),
  ));
  const create = h("button", { type: "button", class: "pill", onclick: async () => {
    const playlist = await app.createPlaylist();
    if (playlist) app.navigate(`/playlist/${playlist.id}`);
  } }, gettext("Create playlist"));
  const logout = h("form", { method: "post", action: app.boot.urls.logout, class: "logout-inline" },
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: document.querySelector('meta[name="csrf-token"]')?.content || "" }),
    h("button", { type: "submit", class: "link" }, gettext("Log out")),
  );
  return h("div", { class: "view library" },
    heading(gettext("Your library")),
    section(gettext("Playlists"), cards([likedCard, ...playlists.items.map((p) => playlistCard(app, p))]), create),
    section(gettext("Albums"), albums.items.length ? cards(albums.items.map((item) => albumCard(app, item.album))) : empty(gettext("Albums you save appear here."))),
    section(gettext("Artists"), artists.artists.items.length ? cards(artists.artists.items.map(artistCard)) : empty(gettext("Artists you follow appear here."))),
    section(gettext("Browse"), browseTabs(null)),
    logout,
  );
}

// ---- browsing the whole catalogue -----------------------------------------------------------

const BROWSE_PAGE = 24;

function browseSorts(kind) {
  const sorts = [["name", gettext("Name")], ["newest", gettext("Newest")], ["popular", gettext("Most popular")]];
  return kind === "artists" ? sorts.filter(([value]) => value !== "newest") : sorts;
}

function browseTabs(current) {
  const tabs = [["albums", gettext("Albums")], ["artists", gettext("Artists")], ["genres", gettext("Genres")]];
  return h("nav", { class: "browse-tabs", "aria-label": gettext("Browse") },
    tabs.map(([kind, label]) => h("a", { class: "pill", href: `/browse/${kind}`, "data-link": true, "aria-current": kind === current ? "page" : null }, label)),
  );
}

// Cards of a paging object, with "Load more" that appends the next page.
function pagedCards(first, toCard, emptyText) {
  if (!first.items.length) return empty(emptyText);
  const list = cards(first.items.map(toCard));
  const status = h("p", { class: "hint browse-count", "aria-live": "polite" });
  let next = first.next;
  const more = h("button", { type: "button", class: "pill load-more" }, gettext("Load more"));
  const paint = (shown, total) => {
    status.textContent = interpolate(gettext("Showing %(shown)s of %(total)s"), { shown, total });
    more.hidden = !next;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api(next);
      const added = page.items.map(toCard);
      list.append(...added);
      next = page.next;
      paint(list.children.length, page.total);
      added[0]?.querySelector("a")?.focus();
    } catch (error) {
      toast(error.message);
    } finally {
      more.disabled = false;
    }
  });
  paint(first.items.length, first.total);
  return h("div", { class: "browse-list" }, list, status, more);
}

function sortSelect(app, kind, sort) {
  const id = "browse-sort";
  const select = h("select", { id, name: "sort" },
    browseSorts(kind).map(([value, label]) => h("option", { value, selected: value === sort }, label)),
  );
  select.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("sort", select.value);
    // The view is drawn again: keep the keyboard on the (new) select.
    Promise.resolve(app.navigate(url.pathname + url.search, { replace: true })).then(() => document.getElementById(id)?.focus());
  });
  return h("div", { class: "browse-sort" }, h("label", { for: id }, gettext("Sort by")), select);
}

function sortOf(kind, query) {
  const sort = query?.get("sort");
  return browseSorts(kind).some(([value]) => value === sort) ? sort : "name";
}

export async function browseAlbumsView({ app, query, signal }) {
  const sort = sortOf("albums", query);
  const page = await api("browse/albums", { query: { market: MARKET, sort, limit: BROWSE_PAGE }, signal });
  return h("div", { class: "view browse" },
    heading(gettext("Browse albums")),
    browseTabs("albums"),
    sortSelect(app, "albums", sort),
    pagedCards(page, (album) => albumCard(app, album), gettext("No albums to show.")),
  );
}

export async function browseArtistsView({ app, query, signal }) {
  const sort = sortOf("artists", query);
  const page = await api("browse/artists", { query: { sort, limit: BROWSE_PAGE }, signal });
  return h("div", { class: "view browse" },
    heading(gettext("Browse artists")),
    browseTabs("artists"),
    sortSelect(app, "artists", sort),
    pagedCards(page, artistCard, gettext("No artists to show.")),
  );
}

function genreCard(genre) {
  const count = interpolate(ngettext("%(count)s album", "%(count)s albums", genre.album_count), { count: genre.album_count });
  return h("li", { class: "card genre-card" }, h("a", { class: "card-link", href: `/genre/${genre.id}`, "data-link": true },
    h("span", { class: "card-title" }, genre.name),
    h("span", { class: "card-subtitle" }, count),
  ));
}

export async function browseGenresView({ signal }) {
  const page = await api("browse/genres", { query: { market: MARKET, limit: 50 }, signal });
  return h("div", { class: "view browse" },
    heading(gettext("Browse genres")),
    browseTabs("genres"),
    pagedCards(page, genreCard, gettext("No genres to show.")),
  );
}

export async function genreView({ app, params, query, signal }) {
  const sort = sortOf("albums", query);
  const [genre, page] = await Promise.all([
    api(`browse/genres/${params[0]}`, { query: { market: MARKET }, signal }),
    api("browse/albums", { query: { market: MARKET, genre: params[0], sort, limit: BROWSE_PAGE }, signal }),
  ]);
  return h("div", { class: "view browse" },
    heading(genre.name),
    browseTabs("genres"),
    sortSelect(app, "albums", sort),
    pagedCards(page, (album) => albumCard(app, album), gettext("No albums to show.")),
  );
}

export async function profileView({ app, signal }) {
  const me = await api("me", { signal });
  const options = (pairs, selected) => pairs.map(([code, name]) => h("option", { value: code, selected: code === selected }, name));
  const form = h("form", { class: "profile-form", novalidate: true },
    h("label", { for: "profile-name" }, gettext("Display name")),
    h("input", { id: "profile-name", name: "display_name", value: me.display_name || "", maxlength: "150" }),
    h("label", { for: "profile-country" }, gettext("Country")),
    h("select", { id: "profile-country", name: "country" }, options(app.boot.countries, me.country)),
    h("p", { class: "hint" }, gettext("Your country decides which tracks you can play.")),
    h("label", { for: "profile-language" }, gettext("Language")),
    h("select", { id: "profile-language", name: "language" }, options(app.boot.languages, me.language)),
    h("label", { for: "profile-normalisation" }, gettext("Volume level")),
    h("select", { id: "profile-normalisation", name: "normalisation" }, options([
      ["off", gettext("Off: as mastered")], ["quiet", gettext("Quiet")], ["normal", gettext("Normal")], ["loud", gettext("Loud")],
    ], app.player.normalisation)),
    h("p", { class: "hint" }, gettext("Evens out the loudness of tracks (albums keep their own dynamics).")),
    h("label", { for: "profile-quality" }, gettext("Streaming quality")),
    h("select", { id: "profile-quality", name: "quality" }, options([
      ["low", gettext("Low")], ["normal", gettext("Normal")], ["high", gettext("High")],
    ], app.player.quality)),
    h("button", { type: "submit", class: "primary" }, gettext("Save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    app.player.setQuality(data.get("quality"));
    app.player.setNormalisation(data.get("normalisation"));
    try {
      const updated = await api("me", { method: "PATCH", body: { display_name: data.get("display_name"), country: data.get("country"), language: data.get("language") } });
      const languageChanged = updated.language !== app.boot.user.language;
      const countryChanged = updated.country !== app.boot.user.country;
      Object.assign(app.boot.user, { display_name: updated.display_name, country: updated.country, language: updated.language });
      document.getElementById("user-name").textContent = updated.display_name || updated.email;
      if (countryChanged) app.player.grants.clear();
      if (languageChanged) await app.switchLanguage(updated.language);
      toast(gettext("Profile saved"));
    } catch (error) {
      toast(error.message);
    }
  });
  const shortcuts = [
    ["Space", gettext("Play or pause")],
    ["← →", gettext("Seek 5 seconds")],
    ["Shift + ← →", gettext("Previous or next track")],
    ["Shift + ↑ ↓", gettext("Volume")],
    ["M", gettext("Mute")],
    ["S", gettext("Shuffle")],
    ["R", gettext("Repeat")],
    ["Q", gettext("Show the queue")],
    ["L", gettext("Like the playing track")],
    ["/", gettext("Search")],
  ];
  return h("div", { class: "view profile" },
    heading(gettext("Profile")),
    h("p", { class: "meta" }, me.email),
    form,
    h("p", {}, h("a", { href: "/accounts/app-passwords/" }, gettext("App passwords for Subsonic apps"))),
    section(gettext("Keyboard shortcuts"), h("dl", { class: "shortcuts" }, shortcuts.map(([key, what]) => [h("dt", {}, h("kbd", {}, key)), h("dd", {}, what)]))),
  );
}

export function notFoundView() {
  return h("div", { class: "view" }, heading(gettext("Page not found")), h("p", {}, h("a", { href: "/", "data-link": true }, gettext("Go home"))));
}
