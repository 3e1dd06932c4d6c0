// Labels Django's admin leaves out, for assistive technology:
// - the filter widgets' search icons carry aria-label on a plain <span> (a role is required);
// - a tabular inline's inputs have only their column header: name them "<column> (row n)".
"use strict";
(() => {
  function nameInlineInputs(root) {
    for (const table of root.querySelectorAll(".tabular table")) {
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      table.querySelectorAll("tbody tr.form-row").forEach((row, i) => {
        const cells = [...row.children].filter((cell) => cell.tagName === "TD");
        cells.forEach((cell, column) => {
          const header = headers[column + (headers.length - cells.length)];
          if (!header) return;
          for (const input of cell.querySelectorAll("input:not([type=hidden]), select, textarea")) {
            if (input.labels?.length || input.hasAttribute("aria-label")) continue;
            input.setAttribute("aria-label", `${header} (${i + 1})`);
          }
        });
      });
    }
  }

  function fix() {
    for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
    nameInlineInputs(document);
  }

  window.addEventListener("load", () => setTimeout(fix));
  document.addEventListener("formset:added", () => setTimeout(fix));
})();
