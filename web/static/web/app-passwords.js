// App passwords page: copy a new secret to the clipboard (the page works without it).
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy)?.textContent || "";
    try {
      await navigator.clipboard.writeText(text.trim());
      button.textContent = "✓";
    } catch {
      window.getSelection()?.selectAllChildren(document.getElementById(button.dataset.copy));
    }
  });
}
