// Keyboard shortcuts: "?" lists them in a dialog. None fires while typing in a field (the
// editor included), except Ctrl+Enter, which sends the comment being typed, and Esc, which
// closes the comment box or the editor. Everything they do is also a link or button.
(function () {
  "use strict";

  var SEQUENCE_MS = 1500; // how long "g" waits for its second key

  function typingIn(element) {
    if (!element || element === document.body) { return false; }
    if (element.isContentEditable) { return true; }
    if (element.closest && element.closest(".cm-editor")) { return true; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag !== "INPUT") { return false; }
    // Buttons and boxes take no text: a letter there is still a shortcut.
    return !/^(button|submit|reset|checkbox|radio|file|image|range|color)$/i.test(element.type);
  }

  // The design page's section cards, in order, and the one being read: the card holding
  // the focus, or else the first whose top is in the upper part of the window.
  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll(".design-main > article.section"));
  }
  function sectionInView(cards) {
    var focused = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest(".design-main > article.section");
    if (focused) { return focused; }
    var line = window.innerHeight / 3;
    var current = null;
    cards.forEach(function (card) {
      if (card.getBoundingClientRect().top <= line) { current = card; }
    });
    return current || cards[0] || null;
  }
  function focusSection(card) {
    if (!card.hasAttribute("tabindex")) { card.setAttribute("tabindex", "-1"); }
    var heading = card.querySelector("h2");
    if (heading && !heading.id) { heading.id = card.id + "-title"; }
    if (heading && !card.hasAttribute("aria-labelledby")) {
      card.setAttribute("aria-labelledby", heading.id);
    }
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start" });
  }
  // From a focused card, the next or previous one; from elsewhere, the first card below the
  // top of the window (j) or the last one above it (k).
  function moveSection(step) {
    var cards = sections();
    if (!cards.length) { return false; }
    var active = document.activeElement;
    var focused = active && active.closest && active.closest(".design-main > article.section");
    var next = -1;
    if (focused) {
      next = Math.max(0, Math.min(cards.length - 1, cards.indexOf(focused) + step));
    } else {
      cards.forEach(function (card, index) {
        var top = card.getBoundingClientRect().top;
        if (step > 0 && next < 0 && top > 1) { next = index; }
        if (step < 0 && top < -1) { next = index; }
      });
      if (next < 0) { next = step > 0 ? cards.length - 1 : 0; }
    }
    focusSection(cards[next]);
    return true;
  }

  function editSection() {
    var card = sectionInView(sections());
    var edit = card && card.querySelector(".section-actions a[href$='/edit/']");
    if (!edit) { return false; }
    // From the link, not the card: htmx gives the focus back to an element of the same id
    // after a swap, which would take it from the editor to its card.
    edit.focus();
    edit.click();
    return true;
  }

  function commentOnSection() {
    var card = sectionInView(sections());
    var box = card && card.querySelector("details.comment-box");
    if (!box) { return false; }
    box.open = true;
    var field = box.querySelector("textarea");
    if (field) { field.focus(); }
    box.scrollIntoView({ block: "nearest" });
    return true;
  }

  function focusSearch() {
    var search = document.getElementById("site-search");
    if (!search) { return false; }
    search.focus();
    if (search.select) { search.select(); }
    return true;
  }

  function goToDashboard() {
    var home = document.querySelector(".topbar a.brand");
    if (!home) { return false; }
    window.location.assign(home.href);
    return true;
  }

  // The list of shortcuts: a modal <dialog>, so the rest of the page is inert while it is
  // open (the focus stays inside), Esc closes it, and the focus goes back where it was.
  var returnFocus = null;
  function dialog() { return document.getElementById("shortcuts-dialog"); }
  function openHelp() {
    var box = dialog();
    if (!box || box.open) { return false; }
    returnFocus = document.activeElement;
    box.showModal();
    return true;
  }
  function setupHelp() {
    var box = dialog();
    if (!box) { return; }
    box.addEventListener("close", function () {
      if (returnFocus && returnFocus.focus && document.contains(returnFocus)) { returnFocus.focus(); }
      returnFocus = null;
    });
    // Tab and Shift+Tab go round the dialog's own controls only.
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") { return; }
      var controls = Array.prototype.filter.call(
        box.querySelectorAll("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])"),
        function (element) { return !element.disabled && !element.hidden; }
      );
      if (!controls.length) { return; }
      var first = controls[0];
      var last = controls[controls.length - 1];
      var at = document.activeElement;
      if (event.shiftKey && (at === first || !box.contains(at))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (at === last || !box.contains(at))) {
        event.preventDefault();
        first.focus();
      }
    });
    box.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
      button.addEventListener("click", function () { box.close(); });
    });
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", openHelp);
    });
  }

  // Esc: close the comment or reply box the focus is in (its text stays), or leave the
  // section editor as its Cancel link does (asking first if the text was changed).
  function cancel(target) {
    var box = target.closest && target.closest("details.comment-box, details.reply-box");
    if (box && box.open) {
      box.open = false;
      var summary = box.querySelector("summary");
      if (summary) { summary.focus(); }
      return true;
    }
    var form = (target.closest && target.closest("form.section-editor")) ||
      (!typingIn(target) && document.querySelector("form.section-editor"));
    var link = form && form.querySelector("[data-cancel]");
    if (!link || form.dataset.conflict) { return false; }
    var body = form.querySelector("textarea[name=body]");
    if (body && body.value !== body.defaultValue &&
        !window.confirm("Leave the editor? Your changes to this section are not saved.")) {
      return true;
    }
    var key = form.closest("article.section") && form.closest("article.section").id;
    link.click();
    // Once the card is back, the focus goes to it rather than to the top of the page.
    if (key) {
      document.addEventListener("htmx:afterSettle", function refocus() {
        document.removeEventListener("htmx:afterSettle", refocus);
        var card = document.getElementById(key);
        if (card) { focusSection(card); }
      });
    }
    return true;
  }

  // Ctrl+Enter (Cmd+Enter) in a comment, reply or verdict box sends it; in the section
  // editor it saves, like Ctrl+S.
  function submitFrom(target) {
    if (!target || target.tagName !== "TEXTAREA" || !target.form) { return false; }
    var form = target.form;
    form.requestSubmit(form.querySelector("[data-save]") || undefined);
    return true;
  }

  var pendingG = 0;
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) { return; }
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      if (submitFrom(target)) { event.preventDefault(); }
      return;
    }
    if (event.key === "Escape") {
      var help = dialog();
      if (help && help.open) { return; } // the dialog closes itself
      if (cancel(target)) { event.preventDefault(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(target)) { return; }
    if (dialog() && dialog().open) { return; }
    var key = event.key;
    var handled = false;
    if (pendingG && Date.now() - pendingG < SEQUENCE_MS) {
      pendingG = 0;
      if (key === "d") { handled = goToDashboard(); }
      if (handled) { event.preventDefault(); }
      return;
    }
    pendingG = 0;
    if (key === "?") { handled = openHelp(); }
    else if (key === "/") { handled = focusSearch(); }
    else if (key === "j") { handled = moveSection(1); }
    else if (key === "k") { handled = moveSection(-1); }
    else if (key === "e") { handled = editSection(); }
    else if (key === "c") { handled = commentOnSection(); }
    else if (key === "g" && !event.shiftKey) { pendingG = Date.now(); handled = true; }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", setupHelp);
}());
