// Recent searches, kept per listener in this browser (as Spotify's clients keep them):
// remembered when a search is submitted or one of its results is used, newest first.

import { h } from "./dom.js";
import { gettext } from "./i18n.js";

const MAX = 10;

function key(userId) {
  return `streamify.recent-searches.${userId}`;
}

export function recentSearches(userId) {
  try {
    const saved = JSON.parse(localStorage.getItem(key(userId)) || "[]");
    return Array.isArray(saved) ? saved.filter((q) => typeof q === "string").slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function rememberSearch(userId, q) {
  q = (q || "").trim();
  if (!q) return;
  const others = recentSearches(userId).filter((old) => old.toLowerCase() !== q.toLowerCase());
  localStorage.setItem(key(userId), JSON.stringify([q, ...others].slice(0, MAX)));
}

export function clearRecentSearches(userId) {
  localStorage.removeItem(key(userId));
}

// A panel under the search box, shown while the box is focused and empty.
export function recentSearchesPanel({ input, userId, onPick }) {
  const panel = h("div", { id: "recent-searches", class: "recent-searches", hidden: true });
  input.after(panel);
  input.setAttribute("aria-controls", "recent-searches");
  const hide = () => {
    panel.hidden = true;
    panel.replaceChildren();
  };
  const paint = () => {
    const items = recentSearches(userId);
    if (input.value.trim() || !items.length) {
      hide();
      return;
    }
    panel.replaceChildren(
      h("div", { class: "recent-head" },
        h("h2", {}, gettext("Recent searches")),
        h("button", { type: "button", class: "link", onclick: () => {
          clearRecentSearches(userId);
          hide();
          input.focus();
        } }, gettext("Clear recent searches")),
      ),
      h("ul", {}, items.map((q) =>
        h("li", {}, h("button", {
          type: "button",
          class: "recent-item",
          onclick: () => {
            hide();
            onPick(q);
          },
        }, h("span", {}, q))),
      )),
    );
    panel.hidden = false;
  };
  input.addEventListener("focus", paint);
  input.addEventListener("input", paint);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  // Leaving the box and the panel (not moving from one to the other) hides it.
  for (const el of [input, panel]) {
    el.addEventListener("focusout", (event) => {
      if (!panel.contains(event.relatedTarget) && event.relatedTarget !== input) hide();
    });
  }
  return { paint, hide };
}
