// Live updates on the design page (htmx's ws extension swaps the fragments the server
// pushes). What this adds: a pushed fragment never takes what someone is typing (an open
// section editor is left alone; text typed in a comment or reply box, open boxes and the
// focus are carried over into the new fragment), and after a reconnect the page asks for
// everything again, since events sent while it was away are lost.
(function () {
  "use strict";

  var fromSocket = false;
  var refocus = null;

  document.addEventListener("htmx:wsBeforeMessage", function () { fromSocket = true; });
  document.addEventListener("htmx:wsAfterMessage", function () { fromSocket = false; });

  document.addEventListener("htmx:wsOpen", function (event) {
    var elt = event.target;
    if (elt.dataset.liveOpened) {
      event.detail.socketWrapper.send(JSON.stringify({ catch_up: true }));
    }
    elt.dataset.liveOpened = "1";
  });

  function fieldKey(field) {
    var form = field.form;
    return (form ? form.getAttribute("action") : "") + "|" + field.name;
  }

  function detailsKey(details) {
    var owner = details.parentElement && details.parentElement.closest("[id]");
    return (owner ? owner.id : "") + "|" + details.className;
  }

  function find(root, selector, keyOf, wanted) {
    var match = null;
    root.querySelectorAll(selector).forEach(function (node) {
      if (!match && keyOf(node) === wanted) { match = node; }
    });
    return match;
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!fromSocket) { return; }
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (!target || !fragment || !fragment.querySelectorAll) { return; }
    if (target.classList.contains("editing") || target.querySelector(".section-editor")) {
      event.detail.shouldSwap = false;  // an open editor: its save answers with the new card
      return;
    }
    target.querySelectorAll("textarea, input[type=text]").forEach(function (field) {
      if (!field.name || field.value === field.defaultValue) { return; }
      var twin = find(fragment, "textarea, input[type=text]", fieldKey, fieldKey(field));
      if (twin) { twin.value = field.value; }
    });
    target.querySelectorAll("details").forEach(function (details) {
      var twin = find(fragment, "details", detailsKey, detailsKey(details));
      if (twin) { twin.open = details.open; }
    });
    var active = document.activeElement;
    if (active && active.name && target.contains(active)) {
      refocus = { key: fieldKey(active), start: active.selectionStart, end: active.selectionEnd };
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    if (!refocus) { return; }
    var wanted = refocus;
    refocus = null;
    var field = find(document, "textarea, input[type=text]", fieldKey, wanted.key);
    if (field) {
      field.focus();
      if (wanted.start !== null && field.setSelectionRange) {
        try { field.setSelectionRange(wanted.start, wanted.end); } catch (e) { /* not text */ }
      }
    }
  });
})();
