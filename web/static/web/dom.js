// Small DOM helpers: element builder, time format, toast, dialog.

import { gettext } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "text") el.textContent = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

// An icon of the sprite in shell.html (`#i-<name>`), hidden from assistive technology.
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "i");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export function setIcon(button, name) {
  button.querySelector("svg.i use")?.setAttribute("href", `#i-${name}`);
}

export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const total = Math.floor(seconds);
  const m = Math.floor(total / 60);
  const s = String(total % 60).padStart(2, "0");
  if (m >= 60) return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${s}`;
  return `${m}:${s}`;
}

let toastTimer = null;

export function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.classList.add("visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("visible"), 4000);
}

// A modal dialog with `body` (a form fragment); resolves with FormData, or null if cancelled.
export function openDialog({ title, body, okLabel }) {
  const dialog = document.getElementById("dialog");
  const form = document.getElementById("dialog-form");
  document.getElementById("dialog-title").textContent = title;
  document.getElementById("dialog-body").replaceChildren(body);
  document.getElementById("dialog-ok").textContent = okLabel || gettext("Save");
  document.getElementById("dialog-cancel").textContent = gettext("Cancel");
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener("close", onClose);
      const ok = dialog.returnValue === "ok";
      resolve(ok ? new FormData(form) : null);
      if (opener && opener.isConnected) opener.focus();
    };
    dialog.addEventListener("close", onClose);
    dialog.returnValue = "";
    dialog.showModal();
    const first = body.querySelector("input, select, textarea");
    if (first) first.focus();
  });
}

export function imageUrl(images) {
  return images && images.length ? images[0].url : null;
}

export function cover(images, label, size = 160) {
  const url = imageUrl(images);
  if (url) return h("img", { class: "cover", src: url, alt: "", width: size, height: size, loading: "lazy" });
  return h("div", { class: "cover placeholder", "aria-hidden": "true" }, (label || "").slice(0, 1) || icon("note"));
}
