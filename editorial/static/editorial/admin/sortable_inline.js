"use strict";
// Ordered track list for the editorial admin: drag rows by their handle (or use the arrow
// buttons) and the position inputs are renumbered to the order on screen before saving.
(function () {
  const GROUP = ".editorial-sortable";

  function rows(tbody) {
    return Array.from(tbody.querySelectorAll("tr.form-row:not(.empty-form)"));
  }

  function hasTrack(row) {
    const select = row.querySelector("select[name$='-track']");
    return Boolean(row.querySelector("input[name$='-id']")?.value || select?.value);
  }

  function renumber(tbody) {
    let position = 0;
    for (const row of rows(tbody)) {
      const input = row.querySelector("input[name$='-position']");
      if (!input) continue;
      // An untouched extra row keeps its initial value, so the formset skips it.
      if (hasTrack(row)) input.value = position++;
    }
  }

  function move(tbody, row, offset) {
    const all = rows(tbody);
    const index = all.indexOf(row);
    const target = all[index + offset];
    if (!target) return;
    if (offset < 0) target.before(row);
    else target.after(row);
    renumber(tbody);
    row.querySelector(offset < 0 ? ".editorial-move-up" : ".editorial-move-down")?.focus();
  }

  function decorate(tbody, row) {
    if (row.dataset.editorialSortable) return;
    row.dataset.editorialSortable = "1";
    const cell = row.querySelector("td.field-position") || row.querySelector("td");
    if (!cell) return;
    const handle = document.createElement("span");
    handle.className = "editorial-handle";
    handle.textContent = "⠿";
    handle.title = "Drag to reorder";
    handle.setAttribute("aria-hidden", "true");
    const up = document.createElement("button");
    up.type = "button";
    up.className = "editorial-move editorial-move-up";
    up.textContent = "▲";
    up.setAttribute("aria-label", "Move up");
    up.addEventListener("click", () => move(tbody, row, -1));
    const down = document.createElement("button");
    down.type = "button";
    down.className = "editorial-move editorial-move-down";
    down.textContent = "▼";
    down.setAttribute("aria-label", "Move down");
    down.addEventListener("click", () => move(tbody, row, 1));
    cell.prepend(handle, up, down);
    handle.addEventListener("mousedown", () => { row.draggable = true; });
    row.addEventListener("dragstart", (event) => {
      tbody.dataset.dragging = String(rows(tbody).indexOf(row));
      row.classList.add("editorial-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", tbody.dataset.dragging);
    });
    row.addEventListener("dragend", () => {
      row.draggable = false;
      row.classList.remove("editorial-dragging");
      rows(tbody).forEach((r) => r.classList.remove("editorial-drop-before"));
      renumber(tbody);
    });
    row.addEventListener("dragover", (event) => {
      event.preventDefault();
      rows(tbody).forEach((r) => r.classList.toggle("editorial-drop-before", r === row));
    });
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      const dragged = rows(tbody)[Number(tbody.dataset.dragging)];
      if (dragged && dragged !== row) {
        const all = rows(tbody);
        if (all.indexOf(dragged) < all.indexOf(row)) row.after(dragged);
        else row.before(dragged);
      }
    });
  }

  function setUp(group) {
    const tbody = group.querySelector("tbody");
    if (!tbody) return;
    rows(tbody).forEach((row) => decorate(tbody, row));
    group.closest("form")?.addEventListener("submit", () => renumber(tbody));
    tbody.addEventListener("change", (event) => {
      if (event.target.matches("select[name$='-track']")) renumber(tbody);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(GROUP).forEach(setUp);
  });
  document.addEventListener("formset:added", (event) => {
    const group = event.target.closest(GROUP);
    if (group) decorate(group.querySelector("tbody"), event.target);
  });
})();
