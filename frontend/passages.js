// Comments on a passage (docs/reviews.md). Select text in a section: a button appears beside
// the selection ("c" does the same from the keyboard) and opens the section's comment box
// on that passage, quoted. A thread on a passage highlights it in the section (<mark>) while
// the thread is open. The server finds the quote in the section's Markdown; here only the
// rendered text is known, so the quote, some text before and after it, and its offsets are
// sent (a W3C Web Annotation TextQuoteSelector).
(function () {
  "use strict";

  var CONTEXT = 32;
  var BODY = ".design-main > article.section .section-body";
  var button = null;
  var chosen = null; // {section, exact, prefix, suffix, start, end}

  function bodyOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element && element.closest ? element.closest(BODY) : null;
  }

  function offsetIn(body, container, offset) {
    var range = document.createRange();
    range.setStart(body, 0);
    range.setEnd(container, offset);
    return range.toString().length;
  }

  // The selection as a passage of one section's rendered text, or null.
  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return null; }
    var range = selection.getRangeAt(0);
    var body = bodyOf(range.startContainer);
    if (!body || body !== bodyOf(range.endContainer)) { return null; }
    var text = body.textContent;
    var start = offsetIn(body, range.startContainer, range.startOffset);
    var end = offsetIn(body, range.endContainer, range.endOffset);
    var exact = text.slice(start, end);
    if (!exact.trim()) { return null; }
    return {
      section: body.closest("article.section"),
      exact: exact,
      prefix: text.slice(Math.max(0, start - CONTEXT), start),
      suffix: text.slice(end, end + CONTEXT),
      start: start,
      end: end,
      rect: range.getBoundingClientRect(),
    };
  }

  function ensureButton() {
    if (button) { return button; }
    button = document.createElement("button");
    button.type = "button";
    button.className = "passage-button small primary";
    button.textContent = "Comment on this passage";
    button.setAttribute("aria-keyshortcuts", "c");
    button.hidden = true;
    // Keep the selection: a mousedown on a button would clear it first.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () { commentOn(chosen); });
    document.body.appendChild(button);
    return button;
  }

  function showButton() {
    var passage = selectedPassage();
    chosen = passage;
    var b = ensureButton();
    if (!passage || !passage.section.querySelector("details.comment-box")) {
      b.hidden = true;
      return;
    }
    // CSSOM, not a style attribute: the CSP allows it.
    b.style.top = Math.round(passage.rect.bottom + window.scrollY + 6) + "px";
    b.style.left = Math.round(Math.max(8, passage.rect.right + window.scrollX - 180)) + "px";
    b.hidden = false;
  }

  function setField(form, name, value) {
    var field = form.querySelector('[name="' + name + '"]');
    if (field) { field.value = value; }
  }

  function commentOn(passage) {
    if (!passage) { return false; }
    var box = passage.section.querySelector("details.comment-box");
    var form = box && box.querySelector("form");
    if (!form) { return false; }
    box.open = true;
    setField(form, "passage_exact", passage.exact);
    setField(form, "passage_prefix", passage.prefix);
    setField(form, "passage_suffix", passage.suffix);
    setField(form, "passage_start", String(passage.start));
    setField(form, "passage_end", String(passage.end));
    var shown = form.querySelector(".passage-chosen");
    if (shown) {
      shown.hidden = false;
      shown.querySelector(".passage-quote").textContent = passage.exact;
    }
    var replacement = form.elements.namedItem("replacement");
    // The box holds the section's Markdown: offer the passage as written there.
    if (replacement) { replacement.value = sourceQuote(replacement.defaultValue, passage.exact.trim(), passage.start); }
    var target = passage.section.querySelector(".suggest-target");
    if (target) { target.textContent = "the passage"; }
    if (button) { button.hidden = true; }
    var field = form.querySelector('textarea[name="body"]');
    if (field) { field.focus(); }
    box.scrollIntoView({ block: "nearest" });
    return true;
  }

  var MARKS = "*_`";

  function nearest(text, quote, hint) {
    var best = -1;
    var at = text.indexOf(quote);
    while (at !== -1) {
      if (best === -1 || Math.abs(at - hint) < Math.abs(best - hint)) { best = at; }
      at = text.indexOf(quote, at + 1);
    }
    return best;
  }

  // The rendered quote as written in the Markdown ``source``: found as it is, or with the
  // emphasis and code marks the rendering dropped; the rendered text when it is not there.
  function sourceQuote(source, exact, hint) {
    if (!source || !exact) { return exact; }
    if (source.indexOf(exact) !== -1) { return exact; }
    var kept = [];
    var stripped = "";
    for (var i = 0; i < source.length; i++) {
      if (MARKS.indexOf(source[i]) === -1) { kept.push(i); stripped += source[i]; }
    }
    var target = exact.replace(/[*_`]/g, "");
    var at = target ? nearest(stripped, target, hint) : -1;
    if (at === -1) { return exact; }
    var start = kept[at];
    var end = kept[at + target.length - 1] + 1;
    ["**", "`", "*", "_"].forEach(function (mark) {
      if (source.slice(start, end).split(mark).length % 2 === 1) { return; } // balanced
      if (source.slice(end, end + mark.length) === mark) { end += mark.length; }
      else if (source.slice(start - mark.length, start) === mark) { start -= mark.length; }
    });
    return source.slice(start, end);
  }

  function clearPassage(form) {
    ["exact", "prefix", "suffix", "start", "end"].forEach(function (name) { setField(form, "passage_" + name, ""); });
    var shown = form.querySelector(".passage-chosen");
    if (shown) { shown.hidden = true; }
    var replacement = form.elements.namedItem("replacement");
    if (replacement) { replacement.value = replacement.defaultValue; }
    var target = form.closest(".threads").querySelector(".suggest-target");
    if (target) { target.textContent = "the whole section"; }
  }

  // Highlights --------------------------------------------------------------------------

  function unwrapMarks() {
    document.querySelectorAll("mark.passage-highlight").forEach(function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) { parent.insertBefore(mark.firstChild, mark); }
      parent.removeChild(mark);
      parent.normalize();
    });
  }

  // Where the stored quote (Markdown source) is in the rendered text: as it is, or without
  // the Markdown's marks; the occurrence nearest its source offset.
  function findInRendered(text, exact, hint) {
    var candidates = [exact.trim(), exact.replace(/[*_`]/g, "").trim(),
      exact.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[*_`#>]/g, "").replace(/\s+/g, " ").trim()];
    for (var c = 0; c < candidates.length; c++) {
      var quote = candidates[c];
      if (!quote) { continue; }
      var best = -1;
      var at = text.indexOf(quote);
      while (at !== -1) {
        if (best === -1 || Math.abs(at - hint) < Math.abs(best - hint)) { best = at; }
        at = text.indexOf(quote, at + 1);
      }
      if (best !== -1) { return { start: best, end: best + quote.length }; }
    }
    return null;
  }

  function wrap(body, span, threadId) {
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    var position = 0;
    var pieces = [];
    var node;
    while ((node = walker.nextNode())) {
      var length = node.data.length;
      var from = Math.max(span.start, position);
      var to = Math.min(span.end, position + length);
      if (from < to) { pieces.push({ node: node, from: from - position, to: to - position }); }
      position += length;
      if (position >= span.end) { break; }
    }
    pieces.forEach(function (piece) {
      var target = piece.node;
      if (piece.to < target.data.length) { target.splitText(piece.to); }
      if (piece.from > 0) { target = target.splitText(piece.from); }
      var mark = document.createElement("mark");
      mark.className = "passage-highlight";
      mark.dataset.thread = threadId;
      target.parentNode.insertBefore(mark, target);
      mark.appendChild(target);
    });
    return pieces.length > 0;
  }

  function highlight() {
    unwrapMarks();
    document.querySelectorAll(".thread[data-passage-exact]").forEach(function (thread) {
      var details = thread.querySelector("details.thread-body");
      var section = thread.closest("article.section");
      var body = section && section.querySelector(".section-body");
      thread.classList.remove("highlighting");
      if (!body || !details || !details.open) { return; }
      var span = findInRendered(body.textContent, thread.dataset.passageExact,
        parseInt(thread.dataset.passageStart || "0", 10));
      if (span && wrap(body, span, thread.id)) { thread.classList.add("highlighting"); }
    });
  }

  function emphasise(thread, on) {
    document.querySelectorAll('mark.passage-highlight[data-thread="' + thread.id + '"]').forEach(
      function (mark) { mark.classList.toggle("active", on); });
  }

  // Wiring -------------------------------------------------------------------------------

  var pending = 0;
  document.addEventListener("selectionchange", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(showButton, 120);
  });

  // "c" with text selected in a section comments on the passage (before shortcuts.js, whose
  // "c" comments on the whole section).
  window.addEventListener("keydown", function (event) {
    if (event.key !== "c" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var active = document.activeElement;
    if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT" || active.isContentEditable)) { return; }
    var passage = selectedPassage();
    if (passage && commentOn(passage)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var clear = event.target.closest && event.target.closest(".passage-clear");
    if (clear) { clearPassage(clear.closest("form")); }
    // "Suggest" sends the comment form as a suggestion.
    var send = event.target.closest && event.target.closest(".suggest-send");
    if (send && send.form) {
      var tick = send.form.elements.namedItem("suggest");
      if (tick) { tick.checked = true; }
    }
  });
  // Editing the suggested text means suggesting it.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.name === "replacement" && field.form) {
      var tick = field.form.elements.namedItem("suggest");
      if (tick) { tick.checked = true; }
    }
  });

  // A thread opened or closed (toggle does not bubble: listen while it goes down).
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches(".thread > details.thread-body")) { highlight(); }
  }, true);
  document.addEventListener("mouseover", function (event) {
    var thread = event.target.closest && event.target.closest(".thread.highlighting");
    document.querySelectorAll("mark.passage-highlight.active").forEach(function (mark) {
      if (!thread || mark.dataset.thread !== thread.id) { mark.classList.remove("active"); }
    });
    if (thread) { emphasise(thread, true); }
  });
  document.addEventListener("focusin", function (event) {
    var thread = event.target.closest && event.target.closest(".thread.highlighting");
    if (thread) { emphasise(thread, true); }
  });

  // New threads or section cards (a comment sent, a save, a live update) come by htmx.
  document.addEventListener("htmx:afterSettle", highlight);
  document.addEventListener("htmx:oobAfterSwap", highlight);
  document.addEventListener("DOMContentLoaded", highlight);
}());
