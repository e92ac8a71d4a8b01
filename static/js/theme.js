/*
 * The theme: light or dark. Until the user presses the toggle
 * ([data-theme-toggle]) the system's prefers-color-scheme decides; the toggle
 * switches to the other theme and remembers it in localStorage, and sets
 * <html data-theme="light|dark">, which the stylesheets follow
 * (static/css/app.css: `color-scheme`; code.css: the highlighting).
 *
 * Loaded blocking in <head> (it is tiny) so the remembered theme applies
 * before the first paint; the toggle's own wiring waits for the page.
 */
(function () {
  "use strict";

  const KEY = "calmchat:theme";
  const root = document.documentElement;
  const dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "light" || saved === "dark") root.dataset.theme = saved;
  } catch (e) { /* storage disabled: the system's preference holds */ }

  function effective() {
    if (root.dataset.theme === "light" || root.dataset.theme === "dark") return root.dataset.theme;
    return dark && dark.matches ? "dark" : "light";
  }

  function sync() {
    const pressed = effective() === "dark" ? "true" : "false";
    document.querySelectorAll("[data-theme-toggle]").forEach((button) => {
      button.setAttribute("aria-pressed", pressed);
    });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    const next = effective() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem(KEY, next); } catch (e) { /* not remembered, still applied */ }
    sync();
  });

  if (dark && dark.addEventListener) dark.addEventListener("change", sync);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sync);
  else sync();
})();
