// Strings come from Django's JavaScriptCatalog (/jsi18n/), loaded as a classic script
// before the modules; these wrappers keep the modules working if it failed to load.

export function gettext(text) {
  return window.gettext ? window.gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  if (window.ngettext) return window.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key] ?? ""));
}

// Replace the catalog with the one for `language` (the cookie must already say so).
export function reloadCatalog(url, language) {
  return new Promise((resolve, reject) => {
    if (window.django) window.django.catalog = {};
    const script = document.createElement("script");
    script.src = `${url}?lang=${encodeURIComponent(language)}`;
    script.onload = () => {
      script.remove();
      resolve();
    };
    script.onerror = () => reject(new Error("catalog"));
    document.head.append(script);
  });
}
