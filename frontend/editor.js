// The live section editor: CodeMirror 6 bound to the section's shared Yjs text, so several
// people type in one section at once. It takes over a section editor form that the server
// marked with data-live-design (members who may edit); the form's <textarea name=body> stays
// in the page, hidden and kept equal to the shared text, so Save, Preview and Ctrl+S post
// what is on screen. Without JavaScript (or if this file fails to load) the plain form works.
//
// - Text typed while the socket is down stays in the browser (IndexedDB, one store per
//   design and section) and is merged when the connection returns; leaving the page with
//   text the server has not saved yet asks first.
// - The indicator says saved / saving / offline / read-only, from the socket's status and
//   the `saved_sha256` the server writes into the document's "meta" map after each save.
// - CSP: CodeMirror injects <style> elements, which carry the page's nonce (read from this
//   script's own tag); remote cursors are coloured by CSS classes, never inline styles.
import { Compartment, EditorState } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightSpecialChars,
  keymap,
  placeholder,
} from "@codemirror/view";
import { defaultKeymap } from "@codemirror/commands";
import { Language, LanguageSupport, defineLanguageFacet, syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { GFM, parser as markdownParser } from "@lezer/markdown";
import * as Y from "yjs";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { WebsocketProvider } from "y-websocket";
import { IndexeddbPersistence } from "y-indexeddb";
import { digest as sha256 } from "lib0/hash/sha256";
import { toBase64 } from "lib0/buffer";
import { remoteCursors } from "./editor/remote-cursors.js";

const NONCE = (document.currentScript && document.currentScript.nonce) || "";
const CONNECT_TIMEOUT_MS = 5000;

// Close codes the server uses for refusals it will not change its mind about (4400-4499:
// y-websocket stops reconnecting). What the person reads for each.
const CLOSED_MESSAGES = {
  4400: "The server refused a message from this editor. Reload the page to continue.",
  4403: "You no longer have access to this design. What is on screen was not all saved.",
  4413: "That change would make the section longer than its size limit, so it was not kept. " +
    "Copy what you need, then reload the page.",
  4429: "Too many people in this section, or too many changes at once. Reload the page in a moment.",
};

function hex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function bodyHash(text) {
  return hex(sha256(new TextEncoder().encode(text)));
}

/** Turns ``from`` into ``to`` in ``ytext`` by replacing the span between their common
 * prefix and suffix: one small change that merges with what others typed meanwhile. */
function applyEdit(ytext, from, to) {
  let start = 0;
  while (start < from.length && start < to.length && from[start] === to[start]) start++;
  let end = 0;
  while (
    end < from.length - start &&
    end < to.length - start &&
    from[from.length - 1 - end] === to[to.length - 1 - end]
  ) {
    end++;
  }
  const at = Math.min(start, ytext.length);
  const removed = Math.min(from.length - start - end, ytext.length - at);
  ytext.doc.transact(() => {
    if (removed > 0) ytext.delete(at, removed);
    const inserted = to.slice(start, to.length - end);
    if (inserted) ytext.insert(at, inserted);
  });
}

function wsBase() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}`;
}

// Markdown with GitHub's extensions (tables, task lists, strikethrough), highlighted by CSS
// classes (.tok-* in static/css/editor.css). Built from the Lezer parser directly rather than
// @codemirror/lang-markdown, which would also bundle HTML, CSS and JavaScript modes.
const markdownLanguage = new Language(
  defineLanguageFacet({ block: { open: "<!--", close: "-->" } }),
  markdownParser.configure([GFM]),
  [],
  "markdown",
);

function markdown() {
  return new LanguageSupport(markdownLanguage);
}

const readOnlyExtensions = [EditorState.readOnly.of(true), EditorView.editable.of(false)];

const editors = new Set();

class LiveSection {
  constructor(form) {
    this.form = form;
    this.designId = form.dataset.liveDesign;
    this.sectionKey = form.dataset.liveSection;
    this.readOnly = form.dataset.liveReadonly === "true";
    this.textarea = form.querySelector("textarea[name=body]");
    this.baseVersion = form.querySelector("[name=base_version]");
    this.indicator = form.querySelector("[data-live-status]");
    this.closedMessage = null;
    this.synced = false;
    this.localEdits = false;

    this.ydoc = new Y.Doc();
    this.ytext = this.ydoc.getText("body");
    this.meta = this.ydoc.getMap("meta");
    this.store = this.readOnly
      ? null
      : new IndexeddbPersistence(`crit:section:${this.designId}:${this.sectionKey}`, this.ydoc);

    this.provider = new WebsocketProvider(
      `${wsBase()}/ws/designs/${this.designId}/sections`,
      this.sectionKey,
      this.ydoc,
      { disableBc: false, maxBackoffTime: 2500 },
    );
    const userId = form.dataset.liveUserId;
    this.provider.awareness.setLocalStateField("user", {
      id: userId,
      name: form.dataset.liveUserName || "Someone",
    });

    this.view = this.mount();
    this.ydoc.on("update", (update, origin) => {
      if (origin !== this.provider && origin !== this.store) this.localEdits = true;
    });
    this.ytext.observe(() => this.copyToTextarea());
    this.meta.observe(() => this.onSaved());
    this.provider.on("status", () => this.refresh());
    this.provider.on("sync", (synced) => {
      this.synced = synced;
      if (synced) this.activate();
      this.refresh();
    });
    this.slowTimer = setTimeout(() => {
      this.slow = true;
      this.refresh();
    }, CONNECT_TIMEOUT_MS);
    this.provider.on("closed", (event) => this.onRefused(event.code));
    this.refresh();
  }

  mount() {
    const extensions = [
      EditorView.cspNonce.of(NONCE),
      highlightSpecialChars(),
      drawSelection(),
      syntaxHighlighting(classHighlighter),
      markdown(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({
        "aria-label": this.textarea.getAttribute("aria-label") || "Section text",
        "aria-multiline": "true",
      }),
      // Tab is left to move the focus on, as in the plain text box (no keyboard trap).
      keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
      yCollab(this.ytext, null),
      remoteCursors(this.provider.awareness),
      placeholder("Write this section in Markdown…"),
    ];
    this.editable = new Compartment();
    extensions.push(this.editable.of(this.readOnly ? readOnlyExtensions : []));
    // Until the server's copy of the shared text arrives, the textarea the page was rendered
    // with stays the editor; what is typed there meanwhile joins the shared text on arrival.
    // If it never arrives, the textarea and Save work as without JavaScript.
    // The text the page was rendered with: what the textarea holds beyond it (typed before
    // the shared text arrived, or a draft crit.js restored) joins the shared text as an edit.
    this.initialText = this.textarea.defaultValue;
    this.host = document.createElement("div");
    this.host.className = "live-editor";
    this.host.hidden = true;
    this.textarea.after(this.host);
    if (this.readOnly) this.textarea.readOnly = true;
    return new EditorView({
      parent: this.host,
      state: EditorState.create({ doc: this.ytext.toString(), extensions }),
    });
  }

  activate() {
    if (this.active) return;
    this.active = true;
    clearTimeout(this.slowTimer);
    if (!this.readOnly && this.textarea.value !== this.initialText) {
      applyEdit(this.ytext, this.initialText, this.textarea.value);
    }
    const hadFocus = document.activeElement === this.textarea;
    this.host.hidden = false;
    this.textarea.hidden = true;
    this.form.classList.add("live");
    this.form.dispatchEvent(new CustomEvent("crit:live", { bubbles: true }));
    this.copyToTextarea();
    if (hadFocus && !this.readOnly) this.view.focus();
  }

  /** The server closed the socket for good (4400-4499): typing on would be lost, so the
   * editor stops taking it; the text stays on screen to be copied. */
  onRefused(code) {
    this.closedMessage =
      CLOSED_MESSAGES[code] || `The live connection was refused (${code}). Reload the page.`;
    this.view.dispatch({ effects: this.editable.reconfigure(readOnlyExtensions) });
    this.textarea.readOnly = true;
    if (code === 4413 && this.store) {
      // Kept, the refused text would be sent again, and refused again, on every reload.
      this.store.clearData();
      this.store = null;
    }
    this.refresh();
  }

  copyToTextarea() {
    if (!this.active) return;
    this.textarea.value = this.ytext.toString();
    this.refresh();
  }

  onSaved() {
    let version = this.meta.get("saved_version");
    if (typeof version === "bigint") version = Number(version);
    if (this.baseVersion && Number.isInteger(version)) {
      // Save posts the shared text against the version the server last saved from it.
      this.baseVersion.value = String(version);
    }
    this.refresh();
  }

  /** True when everything on screen is in PostgreSQL. */
  isSaved() {
    const saved = this.meta.get("saved_sha256");
    if (typeof saved === "string") return saved === bodyHash(this.ytext.toString());
    return !this.localEdits;
  }

  hasUnsavedText() {
    return this.active && !this.readOnly && this.localEdits && !this.isSaved();
  }

  status() {
    if (this.closedMessage) return ["closed", this.closedMessage];
    if (!this.active) {
      return this.slow
        ? ["unavailable", "Live editing is unavailable right now: edit here and Save as usual"]
        : ["connecting", "Connecting…"];
    }
    if (!this.provider.wsconnected || !this.synced) {
      return this.hasUnsavedText()
        ? ["offline", "Offline: your text is kept in this browser and sent when the connection returns"]
        : ["offline", "Offline: reconnecting…"];
    }
    if (this.readOnly) return ["readonly", "Read-only: you follow the text live"];
    return this.isSaved() ? ["saved", "Saved"] : ["saving", "Saving…"];
  }

  refresh() {
    if (!this.indicator) return;
    const [state, text] = this.status();
    if (this.indicator.dataset.state !== state || this.indicator.textContent !== text) {
      this.indicator.dataset.state = state;
      this.indicator.textContent = text;
    }
  }

  destroy({ forget = false } = {}) {
    editors.delete(this);
    clearTimeout(this.slowTimer);
    this.provider.destroy();
    this.view.destroy();
    if (this.store) {
      if (forget) this.store.clearData();
      else this.store.destroy();
    }
    this.ydoc.destroy();
  }
}

function setup(root) {
  const forms = root.matches && root.matches("form[data-live-design]")
    ? [root]
    : Array.from(root.querySelectorAll("form[data-live-design]"));
  for (const form of forms) {
    if (form.liveSection || form.dataset.conflict) continue;
    if (!form.querySelector("textarea[name=body]")) continue;
    // crit.js restored a draft written against an older version: merged into the shared
    // text it would undo the saves since, so this form stays plain and its Save shows both
    // texts side by side, as without JavaScript.
    const base = form.querySelector("[name=base_version]");
    if (base && base.value !== base.defaultValue) continue;
    const live = new LiveSection(form);
    form.liveSection = live;
    editors.add(live);
  }
}

window.critLiveEditor = { editors, setup };

document.addEventListener("DOMContentLoaded", () => setup(document));
document.addEventListener("htmx:load", (event) => setup(event.target));

// A form leaving the page (saved, cancelled, swapped) ends its editor. After a successful
// Save the server holds the text, so the browser's copy is dropped too.
document.addEventListener("htmx:beforeCleanupElement", (event) => {
  const form = event.target;
  if (!form.liveSection) return;
  const live = form.liveSection;
  form.liveSection = null;
  live.destroy({ forget: live.savedByForm || live.isSaved() });
});
// Save in the live editor posts the shared text with the whole Y document behind it. The
// server merges that document into its own (a merge is idempotent: typing its room already
// has is not applied twice) and saves the merged text, so Save is at once, connected or
// not, and never doubles text the room has not saved yet.
function isLiveSave(detail) {
  const form = detail.elt && detail.elt.closest && detail.elt.closest("form");
  const live = form && form.liveSection;
  if (!live || !live.active || live.readOnly || detail.verb !== "post") return null;
  return /\/preview\/$/.test(detail.path) ? null : live;
}

document.addEventListener("htmx:configRequest", (event) => {
  const live = isLiveSave(event.detail);
  if (!live) return;
  event.detail.parameters.body = live.ytext.toString();
  event.detail.parameters.yupdate = toBase64(Y.encodeStateAsUpdate(live.ydoc));
});

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
  const config = event.detail.requestConfig;
  if (form && form.liveSection && event.detail.successful && config && config.verb === "post"
      && !/\/preview\/$/.test(config.path)) {
    form.liveSection.savedByForm = true;
  }
});

// The browser knows at once when the network goes; the socket would notice only at its next
// timeout. Typing goes on either way (into the browser's store) and is sent on return.
window.addEventListener("offline", () => {
  for (const live of editors) live.provider.disconnect();
});
window.addEventListener("online", () => {
  for (const live of editors) live.provider.connect();
});

// Leaving with everything saved: the browser's copy has served its purpose.
window.addEventListener("pagehide", () => {
  for (const live of editors) {
    if (live.store && live.active && live.isSaved()) live.store.clearData();
  }
});

window.addEventListener("beforeunload", (event) => {
  for (const live of editors) {
    if (live.hasUnsavedText()) {
      event.preventDefault();
      event.returnValue = "";
      return;
    }
  }
});
