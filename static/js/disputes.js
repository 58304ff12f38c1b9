/*
 * "I think this is wrong": a reason being written is not lost when the findings column is
 * redrawn (a save of the phase form swaps it in over htmx, out of band). Each reason is
 * kept in this tab's sessionStorage under its textarea's id while it is typed, put back
 * (and its box opened) after any swap, and forgotten once the dispute is sent. Without
 * JavaScript the dispute form posts on its own and none of this is needed.
 */
(function () {
  "use strict";
  var PREFIX = "dispute-draft:";
  var REASON = ".dispute textarea[name='reason']";

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // forbidden (private modes): reasons are simply not kept
    }
  }

  function remember(textarea) {
    var store = storage();
    if (!store) return;
    try {
      if (textarea.value.trim()) store.setItem(PREFIX + textarea.id, textarea.value);
      else store.removeItem(PREFIX + textarea.id);
    } catch (error) {
      /* storage full: the reason is not kept */
    }
  }

  function restore() {
    var store = storage();
    if (!store) return;
    document.querySelectorAll(REASON).forEach(function (textarea) {
      var kept = store.getItem(PREFIX + textarea.id);
      if (kept && !textarea.value.trim()) {
        textarea.value = kept;
        var details = textarea.closest("details");
        if (details) details.open = true;
      }
    });
  }

  function forgetIfSent(block) {
    // A dispute block that came back saying "Sent" (or showing a decision) with no
    // error: its reason is stored on the server, so the draft goes.
    var store = storage();
    var textarea = block && block.querySelector("textarea[name='reason']");
    if (!store || !textarea || block.querySelector(".form-errors")) return;
    if (block.querySelector(".dispute-state, .dispute-decision")) {
      store.removeItem(PREFIX + textarea.id);
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(REASON)) remember(event.target);
  });

  ["htmx:afterSwap", "htmx:oobAfterSwap", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var target = event.detail && event.detail.target;
      if (name === "htmx:afterSwap" && target && target.id && target.id.indexOf("dispute-") === 0) {
        forgetIfSent(document.getElementById(target.id));
      }
      restore();
    });
  });

  // A dispute that did not reach the server (an error status, no network) says so in its
  // own block; the reason stays in the textarea and in the tab.
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var source = event.detail && event.detail.elt;
      var block = source && source.closest && source.closest(".dispute");
      if (!block) return;
      var form = block.querySelector("form");
      var notice = block.querySelector(".dispute-failed");
      if (!notice) {
        notice = document.createElement("p");
        notice.className = "dispute-failed form-errors";
        notice.setAttribute("role", "alert");
        (form || block).insertBefore(notice, form ? form.firstChild : null);
      }
      notice.textContent =
        "Not sent: the server could not be reached. Your reason is kept here; try again in a moment.";
    });
  });

  restore();
})();
