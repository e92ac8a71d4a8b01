/*
 * The sidebar of the user's chats (templates/chats/_sidebar.html): what htmx
 * alone cannot do. Markup and prose come from the server; this file moves,
 * groups and toggles.
 *
 *  - Live entries: the page's socket appends fragments to #sidebar-inbox
 *    (chatui/sidebar.py). Each is applied to the entry it names, when the list
 *    shows it: a whole entry replaces the shown one (or joins the list when it
 *    is new and no search is shown), [data-sidebar-update] replaces an entry's
 *    status line, [data-sidebar-removed] drops it.
 *  - Groups: Today / Previous 7 days / Older by the browser's own clock (the
 *    server grouped in its time zone); newest activity first.
 *  - The drawer on narrow screens: [data-sidebar-toggle] opens it (focus moves
 *    in, the page behind is inert), Esc, the close button or the backdrop close
 *    it (focus goes back to the toggle).
 *  - An entry's menu ([data-sidebar-menu]): Rename ([data-chat-rename]: the
 *    title becomes an input; Enter or leaving it saves, Esc cancels) and Delete
 *    ([data-chat-delete]: a confirmation dialog, then the chat's delete URL).
 *  - Shortcuts: Ctrl/⌘+Shift+O opens a new chat, Ctrl/⌘+K searches.
 */
(function () {
  "use strict";

  const DAY = 86400000;

  function sidebar() { return document.querySelector("[data-sidebar]"); }
  function app() { return document.querySelector("[data-app]"); }
  function currentChat() {
    const side = sidebar();
    return side ? Number(side.dataset.currentChat || 0) : 0;
  }
  function entry(id) {
    const side = sidebar();
    return side ? side.querySelector(`#sidebar-list [data-sidebar-chat="${CSS.escape(String(id))}"]`) : null;
  }

  // -- groups -----------------------------------------------------------------
  function groupOf(item) {
    const at = Date.parse(item.dataset.activity || "");
    if (Number.isNaN(at)) return "older";
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    if (at >= today.getTime()) return "today";
    if (at >= today.getTime() - 7 * DAY) return "week";
    return "older";
  }

  function activity(item) {
    const at = Date.parse(item.dataset.activity || "");
    return Number.isNaN(at) ? 0 : at;
  }

  function recentView() {
    const side = sidebar();
    return side && side.querySelector('#sidebar-list [data-sidebar-view="recent"]');
  }

  function place(item) {
    const view = recentView();
    if (!view) return;
    const list = view.querySelector(`[data-sidebar-group="${groupOf(item)}"] [data-sidebar-items]`);
    if (!list) return;
    const later = Array.from(list.children).find((other) => other !== item && activity(other) < activity(item));
    if (later) list.insertBefore(item, later);
    else list.appendChild(item);
  }

  function tidy() {
    const view = recentView();
    if (!view) return;
    let any = false;
    view.querySelectorAll("[data-sidebar-group]").forEach((group) => {
      const items = group.querySelector("[data-sidebar-items]");
      const filled = Boolean(items && items.children.length);
      group.hidden = !filled;
      any = any || filled;
    });
    const empty = view.querySelector("[data-sidebar-empty]");
    if (empty) empty.hidden = any;
  }

  function regroup() {
    const view = recentView();
    if (!view) return;
    view.querySelectorAll("[data-sidebar-chat]").forEach(place);
    tidy();
  }

  // -- live entries -------------------------------------------------------------
  function apply(node) {
    if (node.nodeType !== 1) return;
    if (node.hasAttribute("data-sidebar-removed")) {
      const gone = entry(node.dataset.sidebarRemoved);
      if (gone) gone.remove();
      tidy();
      return;
    }
    if (node.hasAttribute("data-sidebar-update")) {
      const item = entry(node.dataset.sidebarUpdate);
      const line = item && item.querySelector("[data-sidebar-status]");
      if (!line) return;
      node.removeAttribute("data-sidebar-update");
      line.replaceWith(node);
      item.dataset.status = node.dataset.status;
      return;
    }
    if (!node.hasAttribute("data-sidebar-chat")) return;
    const shown = entry(node.dataset.sidebarChat);
    if (shown && shown.hasAttribute("data-renaming")) {
      // Keep the input the user is typing in; take the rest.
      shown.dataset.status = node.dataset.status;
      shown.dataset.activity = node.dataset.activity;
      const line = shown.querySelector("[data-sidebar-status]");
      const fresh = node.querySelector("[data-sidebar-status]");
      if (line && fresh) line.replaceWith(fresh);
      return;
    }
    if (shown) {
      const moved = shown.dataset.activity !== node.dataset.activity;
      const focused = shown.contains(document.activeElement);
      const snippet = shown.querySelector("[data-search-snippet]");
      if (snippet && !node.querySelector("[data-search-snippet]")) {
        node.querySelector("[data-sidebar-link]").appendChild(snippet);
      }
      shown.replaceWith(node);
      if (moved) place(node);
      // The entry was replaced under the reader: keep their place.
      if (focused) node.querySelector("[data-sidebar-link]").focus({ preventScroll: true });
    } else if (recentView()) {
      place(node);
    }
    tidy();
  }

  function drain(inbox) {
    Array.from(inbox.children).forEach((node) => {
      node.remove();
      apply(node);
    });
  }

  // -- the drawer ---------------------------------------------------------------
  function drawerOpen() { const a = app(); return Boolean(a && a.hasAttribute("data-drawer-open")); }

  function setDrawer(open, returnFocus) {
    const a = app();
    const side = sidebar();
    if (!a || !side) return;
    const main = a.querySelector(".app-main");
    const backdrop = a.querySelector("[data-sidebar-backdrop]");
    if (open) {
      a.setAttribute("data-drawer-open", "");
      if (main) main.inert = true;
      if (backdrop) backdrop.hidden = false;
      const first = side.querySelector("[data-new-chat]");
      if (first) setTimeout(() => first.focus(), 0);
    } else {
      a.removeAttribute("data-drawer-open");
      if (main) main.inert = false;
      if (backdrop) backdrop.hidden = true;
    }
    document.querySelectorAll("[data-sidebar-toggle]").forEach((toggle) => {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (!open && returnFocus) {
      const toggle = Array.from(document.querySelectorAll("[data-sidebar-toggle]"))
        .find((t) => t.offsetParent !== null);
      if (toggle) toggle.focus();
    }
  }

  // -- menus --------------------------------------------------------------------
  function closeMenus(except) {
    document.querySelectorAll("[data-sidebar-menu][aria-expanded=true]").forEach((button) => {
      if (button === except) return;
      button.setAttribute("aria-expanded", "false");
      const list = document.getElementById(button.getAttribute("aria-controls"));
      if (list) list.hidden = true;
    });
  }

  function toggleMenu(button) {
    const open = button.getAttribute("aria-expanded") !== "true";
    closeMenus(button);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    const list = document.getElementById(button.getAttribute("aria-controls"));
    if (!list) return;
    list.hidden = !open;
    if (open) {
      const first = list.querySelector("button");
      if (first) first.focus();
    }
  }

  // -- rename -------------------------------------------------------------------
  function startRename(item) {
    if (item.hasAttribute("data-renaming")) return;
    const link = item.querySelector("[data-sidebar-link]");
    const title = item.querySelector("[data-sidebar-title]");
    if (!link || !title) return;
    const form = document.createElement("form");
    form.className = "side-rename";
    const input = document.createElement("input");
    input.type = "text";
    input.name = "title";
    input.maxLength = 200;
    input.required = true;
    input.value = title.textContent;
    input.setAttribute("aria-label", "New title");
    input.setAttribute("data-chat-rename-input", "");
    form.appendChild(input);
    item.setAttribute("data-renaming", "");
    link.hidden = true;
    link.after(form);
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      const value = input.value.trim();
      if (save && value && value !== title.textContent) {
        title.textContent = value;
        window.htmx.ajax("POST", `/chats/${item.dataset.sidebarChat}/rename/`, {
          source: sidebar(), swap: "none", values: { title: value, current: currentChat() },
        });
      }
      form.remove();
      link.hidden = false;
      item.removeAttribute("data-renaming");
      link.focus();
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); finish(true); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
    input.focus();
    input.select();
  }

  // -- delete -------------------------------------------------------------------
  let deleting = null; // {id, button}

  function confirmDelete(item, button) {
    const dialog = document.querySelector("[data-delete-dialog]");
    if (!dialog) return;
    const name = dialog.querySelector("[data-delete-name]");
    const title = item.querySelector("[data-sidebar-title]");
    if (name && title) name.textContent = title.textContent;
    deleting = { id: item.dataset.sidebarChat, button };
    dialog.returnValue = "";
    dialog.showModal();
  }

  function dialogClosed(dialog) {
    const pending = deleting;
    deleting = null;
    if (!pending) return;
    if (dialog.returnValue !== "delete") {
      const menu = entry(pending.id) && entry(pending.id).querySelector("[data-sidebar-menu]");
      if (menu) menu.focus();
      return;
    }
    window.htmx.ajax("POST", `/chats/${pending.id}/delete/`, {
      source: sidebar(), swap: "none", values: { current: currentChat() },
    }).then(() => {
      // Focus the list rather than leaving it on a removed entry.
      const search = document.querySelector("[data-chat-search]");
      if (search && !entry(pending.id)) search.focus();
    });
  }

  // -- wiring -------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const target = event.target.closest ? event.target : null;
    if (!target) return;
    if (target.closest("[data-sidebar-toggle]")) return setDrawer(!drawerOpen(), false);
    if (target.closest("[data-sidebar-close], [data-sidebar-backdrop]")) return setDrawer(false, true);
    const menu = target.closest("[data-sidebar-menu]");
    if (menu) return toggleMenu(menu);
    const rename = target.closest("[data-chat-rename]");
    if (rename) {
      closeMenus();
      return startRename(rename.closest("[data-sidebar-chat]"));
    }
    const del = target.closest("[data-chat-delete]");
    if (del) {
      const item = del.closest("[data-sidebar-chat]");
      closeMenus();
      return confirmDelete(item, del);
    }
    if (!target.closest("[data-sidebar-menu-list]")) closeMenus();
  });

  document.addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.shiftKey && (event.key === "O" || event.key === "o")) {
      const link = document.querySelector("[data-new-chat]");
      if (link) { event.preventDefault(); window.location.assign(link.href); }
      return;
    }
    if (mod && !event.shiftKey && (event.key === "k" || event.key === "K")) {
      const search = document.querySelector("[data-chat-search]");
      if (!search) return;
      event.preventDefault();
      if (window.matchMedia("(max-width: 47.99rem)").matches && !drawerOpen()) setDrawer(true, false);
      setTimeout(() => { search.focus(); search.select(); }, 0);
      return;
    }
    if (event.key !== "Escape") return;
    const open = document.querySelector("[data-sidebar-menu][aria-expanded=true]");
    if (open) {
      event.preventDefault();
      event.stopPropagation();
      closeMenus();
      open.focus();
    } else if (drawerOpen()) {
      event.preventDefault();
      event.stopPropagation();
      setDrawer(false, true);
    }
  }, true);

  // Arrow keys move between an open menu's items.
  document.addEventListener("keydown", (event) => {
    const list = event.target.closest && event.target.closest("[data-sidebar-menu-list]");
    if (!list || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    event.preventDefault();
    const items = Array.from(list.querySelectorAll("button"));
    const at = items.indexOf(event.target);
    const next = items[(at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length];
    if (next) next.focus();
  });

  // Leaving the sidebar closes a menu left open.
  document.addEventListener("focusin", (event) => {
    if (!event.target.closest || event.target.closest("[data-sidebar-menu-list], [data-sidebar-menu]")) return;
    closeMenus();
  });

  function start() {
    const inbox = document.getElementById("sidebar-inbox");
    if (inbox) {
      drain(inbox);
      new MutationObserver(() => drain(inbox)).observe(inbox, { childList: true });
    }
    regroup();
    const dialog = document.querySelector("[data-delete-dialog]");
    if (dialog) dialog.addEventListener("close", () => dialogClosed(dialog));
    // A search's results replace the list; back to the recent list, regroup it.
    document.addEventListener("htmx:afterSwap", (event) => {
      if (event.target && event.target.id === "sidebar-list") regroup();
    });
    // Wide again: a drawer left open is just the sidebar.
    window.matchMedia("(max-width: 47.99rem)").addEventListener("change", (query) => {
      if (!query.matches && drawerOpen()) setDrawer(false, false);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
