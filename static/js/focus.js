/* Keep keyboard focus across htmx swaps.
 *
 * A phase form is disabled while its save is in flight (hx-disabled-elt), which takes
 * focus away from the button that was pressed; when the new form is swapped in, focus
 * would be left on <body> and a keyboard user would start again from the top of the
 * page. Remember the focused element's id before each request and, if focus was lost,
 * put it back on the element with that id in the new content.
 */
(function () {
  "use strict";
  var focusedId = null;

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active !== document.body && active.id ? active.id : null;
  });

  document.addEventListener("htmx:afterSwap", function () {
    var id = focusedId;
    focusedId = null;
    var active = document.activeElement;
    if (!id || (active && active !== document.body)) {
      return; // nothing was focused, or focus is still (or already again) somewhere
    }
    var target = document.getElementById(id);
    if (target && !target.disabled) {
      target.focus({ preventScroll: true });
    }
  });
})();
