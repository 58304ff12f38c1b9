/* Keep keyboard focus across htmx saves.
 *
 * A phase form is disabled while its save is in flight (hx-disabled-elt), which takes
 * focus away from the button that was pressed. Remember the focused element's id before
 * each request; afterwards, if focus was lost, put it back on the element with that id:
 * in the new content when the form was sent back, or in the same form, once htmx has
 * enabled it again, when only the findings were.
 *
 * A wide table or diagram scrolls inside itself on a narrow screen (tutor.css); while it
 * does, it is focusable, so it can be scrolled with the arrow keys.
 */
(function () {
  "use strict";
  var focusedId = null;

  function restore() {
    var id = focusedId;
    var active = document.activeElement;
    if (!id || (active && active !== document.body)) {
      focusedId = null;
      return; // nothing was focused, or focus is still (or already again) somewhere
    }
    var target = document.getElementById(id);
    if (target && !target.disabled && !target.closest("fieldset:disabled")) {
      target.focus({ preventScroll: true });
      focusedId = null;
    }
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active !== document.body && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSwap", restore);
  document.addEventListener("htmx:afterRequest", restore);

  var SCROLLERS = ".report-table, .prose table, table.computed, figure.diagram, .diagram-scroll";

  function markScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroller", "");
      } else if (!scrolls && box.hasAttribute("data-scroller")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroller");
      }
    });
  }

  var resizing = null;
  markScrollers();
  document.addEventListener("htmx:afterSettle", markScrollers);
  document.addEventListener("toggle", markScrollers, true); // a <details> opened
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollers, 150);
  });
})();
