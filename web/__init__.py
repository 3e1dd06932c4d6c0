"""The web player for listeners: Django templates plus native ES modules, no build step.

The page is one shell (`shell.html`) holding the persistent player bar; content views are
rendered in the browser from the `/api/v1/` JSON and routed with `history.pushState`, so
navigating never reloads the page or interrupts the `<audio>` element. The JavaScript is
plain ES modules served as static files: `make run` needs no Node toolchain, nothing is
bundled or transpiled, and every browser that plays Opus/AAC also runs ES modules.
Translations stay in Django: `{% trans %}` in templates and `JavaScriptCatalog` for the
strings in the modules, compiled `.mo` files committed under `web/locale/`.

`web` is the top layer, like `streamify`: it may use any app's services and selectors.
"""
