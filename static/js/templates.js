// Drag and drop for a template's sections. The "Move up" and "Move down" buttons do the
// same without JavaScript and from the keyboard; this only adds dragging with a mouse.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (e) { return ""; }
  }

  function setup(list) {
    var url = list.getAttribute("data-reorder-url");
    if (!url) { return; }
    var dragged = null;

    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li[data-key]");
      if (!dragged) { return; }
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.getAttribute("data-key"));
    });
    list.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("dragging"); }
      dragged = null;
    });
    list.addEventListener("dragover", function (event) {
      if (dragged) { event.preventDefault(); }
    });
    list.addEventListener("drop", function (event) {
      var target = event.target.closest("li[data-key]");
      if (!dragged || !target || target === dragged) { return; }
      event.preventDefault();
      var box = target.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? target.nextSibling : target);
      var body = new URLSearchParams();
      list.querySelectorAll("li[data-key]").forEach(function (item) {
        body.append("keys", item.getAttribute("data-key"));
      });
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        body: body,
        credentials: "same-origin"
      }).then(function () { window.location.reload(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("template-sections");
    if (list) { setup(list); }
  });
})();
