// Crit's small behaviours on top of htmx: the phone menu, editor tabs, Ctrl+S, and unsaved drafts kept in
// localStorage so a reload never loses what was typed. Everything works without it too.
(function () {
  "use strict";

  var DRAFT_PREFIX = "crit:draft:";

  function readDraft(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function writeDraft(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or off */ }
  }
  function dropDraft(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function formDraft(form) {
    var body = form.querySelector("textarea[name=body]");
    var state = form.querySelector("[name=state]");
    var reason = form.querySelector("[name=na_reason]");
    var base = form.querySelector("[name=base_version]");
    return {
      body: body ? body.value : "",
      state: state ? state.value : "",
      na_reason: reason ? reason.value : "",
      base_version: base ? base.value : "",
      saved_at: new Date().toISOString()
    };
  }

  function toggleReason(form) {
    var state = form.querySelector("[name=state]");
    var field = form.querySelector(".na-reason-field");
    if (state && field) { field.hidden = state.value !== "not_applicable"; }
  }

  function setupEditor(form) {
    if (form.dataset.ready) { return; }
    form.dataset.ready = "1";
    var key = form.dataset.draftKey;
    var body = form.querySelector("textarea[name=body]");
    toggleReason(form);
    if (!key || !body) { return; }
    var draft = readDraft(key);
    var notice = form.querySelector(".draft-notice");
    if (draft && !form.dataset.conflict && draft.body !== body.value) {
      var original = formDraft(form);
      var base = form.querySelector("[name=base_version]");
      body.value = draft.body;
      if (draft.state) { form.querySelector("[name=state]").value = draft.state; }
      if (draft.na_reason) { form.querySelector("[name=na_reason]").value = draft.na_reason; }
      // Keep the version the draft was written against: if the section changed since, the
      // save is refused and shows both texts instead of silently overwriting the newer one.
      var stale = base && draft.base_version !== "" && draft.base_version !== base.value;
      if (stale) { base.value = draft.base_version; }
      toggleReason(form);
      if (notice) {
        notice.textContent = "Restored your unsaved draft from " +
          new Date(draft.saved_at).toLocaleString() + ". " +
          (stale ? "The section was saved by someone since; saving will show both versions. " : "");
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "link";
        discard.textContent = "Discard it";
        discard.addEventListener("click", function () {
          dropDraft(key);
          body.value = original.body;
          form.querySelector("[name=state]").value = original.state;
          form.querySelector("[name=na_reason]").value = original.na_reason;
          if (base) { base.value = original.base_version; }
          toggleReason(form);
          notice.hidden = true;
        });
        notice.appendChild(discard);
        notice.hidden = false;
      }
    }
    // Once the live editor (editor.js) holds the text, it keeps it in the browser itself and
    // the shared text is saved by the server: the draft would only be a stale copy.
    function live() { return form.classList.contains("live"); }
    form.addEventListener("crit:live", function () { dropDraft(key); });
    form.addEventListener("input", function () { if (!live()) { writeDraft(key, formDraft(form)); } });
    form.addEventListener("change", function () {
      toggleReason(form);
      if (!live()) { writeDraft(key, formDraft(form)); }
    });
    if (form.dataset.conflict) { writeDraft(key, formDraft(form)); }
    body.focus();
  }

  function markDraftsOnCards(root) {
    root.querySelectorAll("article.section[data-draft-key]").forEach(function (card) {
      var draft = readDraft(card.dataset.draftKey);
      var edit = card.querySelector(".section-actions a[hx-get]");
      if (!draft || !edit || card.querySelector(".draft-resume")) { return; }
      var note = document.createElement("p");
      note.className = "draft-notice draft-resume";
      note.textContent = "You have an unsaved draft of this section. ";
      var resume = document.createElement("button");
      resume.type = "button";
      resume.className = "link";
      resume.textContent = "Resume editing";
      resume.addEventListener("click", function () { edit.click(); });
      note.appendChild(resume);
      card.querySelector(".section-head").after(note);
    });
  }

  function init(root) {
    root.querySelectorAll("form.section-editor").forEach(setupEditor);
    markDraftsOnCards(root);
  }

  // The top bar's menu button (phones): it exists only with JavaScript; without it the links
  // stay in view and wrap. Escape closes the menu and gives the focus back to the button.
  function setupMenu() {
    var bar = document.getElementById("topbar");
    var button = bar && bar.querySelector(".menu-button");
    if (!button) { return; }
    function setOpen(open) {
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    bar.classList.add("js-menu");
    button.hidden = false;
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupMenu(); init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });

  // Tabs: Write shows the textarea; Preview asks the server to render (htmx) and shows it.
  document.addEventListener("click", function (event) {
    var tab = event.target.closest(".tab[data-tab]");
    if (!tab) { return; }
    var form = tab.closest("form");
    form.querySelectorAll(".tab").forEach(function (t) { t.classList.toggle("active", t === tab); });
    form.querySelectorAll(".tab-panel").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== tab.dataset.tab;
    });
    if (tab.dataset.tab === "write") {
      var body = form.querySelector(".live-editor .cm-content") || form.querySelector("textarea[name=body]");
      if (body) { body.focus(); }
    }
  });

  // Ctrl+S / Cmd+S saves the editor that has focus.
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "s") { return; }
    var form = document.activeElement && document.activeElement.closest("form.section-editor");
    if (!form) { form = document.querySelector("form.section-editor"); }
    if (!form) { return; }
    event.preventDefault();
    form.requestSubmit(form.querySelector("[data-save]"));
  });

  // A successful save ends the draft; a refused one (409/400) keeps it, and so does a
  // preview. The form is gone from the page once the response is swapped in, so the draft's
  // key is noted on the request before it leaves. Cancelling drops the draft, except on the
  // conflict screen where it is the only copy of the user's text.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt.closest && elt.closest("form.section-editor");
    var config = event.detail.requestConfig;
    if (form && config && config.verb === "post" && !/\/preview\/$/.test(config.path)) {
      event.detail.xhr.critDraftKey = form.dataset.draftKey;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.critDraftKey && xhr.status === 200) { dropDraft(xhr.critDraftKey); }
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-cancel]");
    if (!cancel) { return; }
    var form = cancel.closest("form.section-editor");
    if (form && (!form.dataset.conflict)) { dropDraft(form.dataset.draftKey); }
  });
}());
