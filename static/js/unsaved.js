/* Nothing typed into a phase form is lost without the learner being told.
 *
 * - A failed save (an error status, no network, no answer within the form's timeout)
 *   is said in the page's status region, "Not saved: ...", and stays there until a
 *   later save succeeds; the findings on show are marked as out of date meanwhile.
 * - What the learner types is kept as a draft in this browser (localStorage, keyed by
 *   user, attempt and phase: the form's data-draft-key) until the server acknowledges a
 *   save with the "phase-saved" event (an HX-Trigger header, see views.phase). After a
 *   reload, a draft that differs from what the page shows is offered back.
 * - Only forms carrying data-draft-key are kept (the learner's phase form, never the
 *   teaching or admin pages), and logging out removes every draft from this browser.
 */
(function () {
  "use strict";
  var PREFIX = "tutor-draft:";
  var SKIP = /^(csrfmiddlewaretoken|base_revision|redraw|row_action)$|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;
  var ROW = /^(.+)-(\d+)-[^-]+$/;
  var DELAY_MS = 400;
  var failure = null; // what the last failed save said, until a save succeeds
  var offer = null; // a stored draft offered back and not yet restored or discarded
  var typedWhileOffered = false;
  var timer = null;
  var loggedOut = false;

  function phaseForm() {
    var form = document.getElementById("phase-form");
    return form && form.dataset.draftKey ? form : null;
  }

  // localStorage may be missing, full or forbidden (private modes): drafts are a
  // safety net, so any failure there leaves the page working as before.
  function load(key) {
    try {
      var draft = JSON.parse(window.localStorage.getItem(key));
      return draft && typeof draft.fields === "object" ? draft : null;
    } catch (e) {
      return null;
    }
  }
  function store(key, draft) {
    try {
      window.localStorage.setItem(key, JSON.stringify(draft));
    } catch (e) {
      /* not kept: the page still says when a save fails */
    }
  }
  function drop(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* nothing to drop */
    }
  }
  function dropAll() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) window.localStorage.removeItem(key);
      }
    } catch (e) {
      /* nothing stored */
    }
  }

  function kept(element) {
    return (
      element.name &&
      !SKIP.test(element.name) &&
      ["submit", "button", "reset", "file", "password", "image"].indexOf(element.type) < 0
    );
  }

  // The form's values by field name, each a list (as the browser would post them).
  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) return;
      var list = out[element.name] || (out[element.name] = []);
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) list.push(element.value);
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          if (option.selected) list.push(option.value);
        });
      } else {
        list.push(element.value);
      }
    });
    return out;
  }

  function filled(list) {
    return (list || []).filter(function (value) {
      return value !== "";
    });
  }

  function same(a, b) {
    var names = Object.keys(a).concat(Object.keys(b));
    return names.every(function (name) {
      return JSON.stringify(filled(a[name])) === JSON.stringify(filled(b[name]));
    });
  }

  function when(time) {
    try {
      return new Date(time).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) {
      return new Date(time).toString();
    }
  }

  function now() {
    return new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  // -- Keeping the draft ------------------------------------------------------------

  function writeDraft() {
    clearTimeout(timer);
    timer = null;
    var form = phaseForm();
    if (!form || loggedOut) return;
    if (offer) {
      typedWhileOffered = true; // the offered draft stays until it is answered
      return;
    }
    var revision = document.getElementById("base-revision");
    store(form.dataset.draftKey, {
      savedAt: Date.now(),
      baseRevision: revision ? revision.value : "",
      fields: values(form),
    });
  }

  function edited(event) {
    if (!event.target.closest || !event.target.closest("#phase-form") || !phaseForm()) return;
    clearTimeout(timer);
    timer = setTimeout(writeDraft, DELAY_MS);
  }

  function flush() {
    if (timer) writeDraft();
  }

  // -- The status region -------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // Our notices in the status region, after whatever the server put there (unless
  // `fresh`: then the server's earlier words, such as "Saved and checked.", go).
  function renderStatus(fresh) {
    var region = document.getElementById("status-line");
    if (!region) return;
    if (fresh) region.replaceChildren();
    region.querySelectorAll(".save-failed, .draft-offer").forEach(function (node) {
      node.remove();
    });
    if (failure) {
      var notice = element("p", "notice error save-failed");
      notice.append(element("strong", "", "Not saved"), failure.slice("Not saved".length));
      region.appendChild(notice);
    }
    if (offer) region.appendChild(offerNotice(offer));
    // The notice is at the top of the form; the learner pressed Save at the bottom (on a
    // phone, a long way down): the button's sticky bar says it too, pointing up.
    var actions = document.querySelector("#phase-form .form-actions");
    if (!actions) return;
    actions.querySelectorAll(".save-failed-short").forEach(function (node) {
      node.remove();
    });
    if (failure) {
      var short = element("span", "save-failed-short", "Not saved. ");
      var link = element("a", "", "Why, and what to do");
      link.href = "#status-line";
      short.appendChild(link);
      actions.appendChild(short);
    }
  }

  function offerNotice(draft) {
    var box = element("div", "notice draft-offer");
    var text = "You have unsaved changes from " + when(draft.savedAt) + ", kept in this browser.";
    var revision = document.getElementById("base-revision");
    if (revision && String(draft.baseRevision) !== revision.value) {
      text +=
        " This phase was saved again after you typed them (in another tab?): if you restore" +
        " them, saving shows you where they differ before replacing that version.";
    }
    box.appendChild(element("p", "", text));
    var actions = element("p", "draft-actions");
    var restore = element("button", "button small", "Restore them");
    restore.type = "button";
    restore.id = "draft-restore";
    var discard = element("button", "button small secondary", "Discard");
    discard.type = "button";
    discard.id = "draft-discard";
    actions.append(restore, " ", discard);
    box.appendChild(actions);
    return box;
  }

  function say(nodes) {
    var region = document.getElementById("status-line");
    if (!region) return;
    var box = element("div", "notice draft-result");
    box.tabIndex = -1;
    nodes.forEach(function (node) {
      box.appendChild(node);
    });
    renderStatus();
    region.querySelectorAll(".draft-result").forEach(function (node) {
      node.remove();
    });
    region.appendChild(box);
    box.focus();
  }

  // -- Findings out of date ----------------------------------------------------------

  var STALE_COLUMN = "These findings are from your last successful save; they may be out of date.";
  var STALE_FIELD = "From your last successful save; may be out of date.";

  function markStale() {
    var column = document.getElementById("findings-column");
    if (column && column.querySelector(".summary") && !column.querySelector(".stale-banner")) {
      column.classList.add("is-stale");
      column.setAttribute("data-stale", "true");
      var banner = element("p", "stale-banner", STALE_COLUMN);
      var heading = column.querySelector("#findings-heading");
      if (heading) heading.after(banner);
      else column.prepend(banner);
    }
    document.querySelectorAll(".field-findings").forEach(function (box) {
      if (box.querySelector(".field-finding") && !box.querySelector(".stale-label")) {
        box.classList.add("is-stale");
        box.setAttribute("data-stale", "true");
        box.prepend(element("p", "stale-label", STALE_FIELD));
      }
    });
  }

  function unmarkStale() {
    document.querySelectorAll(".stale-banner, .stale-label").forEach(function (node) {
      node.remove();
    });
    document.querySelectorAll("[data-stale]").forEach(function (node) {
      node.classList.remove("is-stale");
      node.removeAttribute("data-stale");
    });
  }

  // -- Failed and acknowledged saves --------------------------------------------------

  function fromPhaseForm(event) {
    var source = event.detail && event.detail.elt;
    return Boolean(source && source.closest && source.closest("#phase-form"));
  }

  function failed(reason, advice) {
    failure =
      "Not saved (" + now() + "): " + reason + " Your text stays on this page, and a copy is" +
      " kept in this browser until a save succeeds. " + advice;
    flush();
    if (!offer) writeDraft(); // what was sent is what must not be lost
    renderStatus(true);
    markStale();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (fromPhaseForm(event)) flush();
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (!fromPhaseForm(event)) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 503) {
      failed(
        "the tutor cannot reach its database just now (error 503).",
        "Press Save and check again in a minute."
      );
    } else if (status >= 500) {
      failed(
        "the server failed while saving (error " + status + ").",
        "Press Save and check again in a moment."
      );
    } else if (status === 403) {
      failed(
        "the server refused the save (error 403): the page may have expired or you were logged out.",
        "Reload the page (your changes are offered back), log in if asked, then save again."
      );
    } else {
      failed(
        "the server refused the save (error " + status + ").",
        "Reload the page (your changes are offered back) and save again."
      );
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (!fromPhaseForm(event)) return;
    failed(
      "the server could not be reached; your connection or the site may be down.",
      "Press Save and check again when you are back online."
    );
  });

  document.addEventListener("htmx:timeout", function (event) {
    if (!fromPhaseForm(event)) return;
    failed(
      "the server did not answer in time, so this page cannot tell whether it was saved.",
      "Press Save and check again; if it was saved, nothing is lost by saving twice."
    );
  });

  document.addEventListener("phase-saved", function () {
    failure = null;
    clearTimeout(timer);
    timer = null;
    var form = phaseForm();
    if (form && !offer) drop(form.dataset.draftKey);
    renderStatus();
    unmarkStale();
  });

  // A swap of the workspace (rows added, fields with errors, a conflict, a save sent
  // back whole) redraws the status region and the findings: say again what still holds.
  document.addEventListener("htmx:afterSettle", function () {
    if (!failure && !offer) return;
    renderStatus();
    if (failure) markStale();
  });

  // -- Restore or discard -------------------------------------------------------------

  function rowName(name) {
    var match = ROW.exec(name);
    if (!match) return null;
    var section = document.getElementById("section-" + match[1]);
    var legend = section && section.querySelector("legend");
    return (legend ? legend.textContent.trim() : match[1]) + ", row " + (Number(match[2]) + 1);
  }

  function restore(form, draft) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element) || !(element.name in draft.fields)) return;
      var list = draft.fields[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = list.indexOf(element.value) >= 0;
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = list.indexOf(option.value) >= 0;
        });
      } else {
        var index = seen[element.name] || 0;
        element.value = index < list.length ? list[index] : "";
        seen[element.name] = index + 1;
      }
    });
    var revision = document.getElementById("base-revision");
    if (revision && draft.baseRevision !== undefined && draft.baseRevision !== "") {
      // The revision the draft was typed over: if the phase was saved since, the next
      // save reports the conflict instead of silently replacing that version.
      revision.value = draft.baseRevision;
    }
    var present = values(form);
    var left = {}; // rows of the draft this page has no fields for, with their text
    var other = 0;
    Object.keys(draft.fields).forEach(function (name) {
      var text = filled(draft.fields[name]);
      if (name in present || !text.length) return;
      var row = rowName(name);
      if (!row) {
        other += 1;
        return;
      }
      (left[row] = left[row] || []).push(text.join(", "));
    });
    return { left: left, other: other };
  }

  function answer(restoring) {
    var form = phaseForm();
    var draft = offer;
    if (!form || !draft) return;
    offer = null;
    if (!restoring) {
      drop(form.dataset.draftKey);
      if (typedWhileOffered) writeDraft();
      typedWhileOffered = false;
      say([element("p", "", "Your unsaved changes from " + when(draft.savedAt) + " were discarded.")]);
      return;
    }
    typedWhileOffered = false;
    var outcome = restore(form, draft);
    var nodes = [
      element(
        "p",
        "",
        "Restored your changes from " + when(draft.savedAt) + ". They are not saved yet: press Save and check."
      ),
    ];
    var rows = Object.keys(outcome.left);
    if (rows.length) {
      nodes.push(
        element(
          "p",
          "",
          rows.length +
            (rows.length === 1 ? " row" : " rows") +
            " of your draft could not be restored: this page has fewer rows. Add rows and copy the text back from here:"
        )
      );
      var list = element("ul", "draft-left");
      rows.forEach(function (row) {
        list.appendChild(element("li", "", row + ": " + outcome.left[row].join("; ")));
      });
      nodes.push(list);
    }
    if (outcome.other) {
      nodes.push(
        element("p", "", outcome.other + " field(s) of your draft are no longer on this form and could not be restored.")
      );
    }
    say(nodes);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.id) return;
    if (target.id === "draft-restore") answer(true);
    else if (target.id === "draft-discard") answer(false);
  });

  // -- Start --------------------------------------------------------------------------

  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  window.addEventListener("pagehide", flush);

  document.addEventListener("submit", function (event) {
    // A shared computer keeps no one's drafts after they log out.
    if (!event.target || event.target.id !== "logout-form") return;
    loggedOut = true; // nor is a pending draft written as the page goes
    clearTimeout(timer);
    timer = null;
    dropAll();
  });

  var form = phaseForm();
  if (form) {
    var draft = load(form.dataset.draftKey);
    if (draft && same(draft.fields, values(form))) {
      drop(form.dataset.draftKey); // the server already shows exactly this
    } else if (draft) {
      offer = draft;
      renderStatus();
      // After a reload the browser puts the page back where it was, often far below
      // the offer (on a phone, below the guidance): bring the offer into view.
      window.addEventListener("load", function () {
        setTimeout(function () {
          var box = document.querySelector("#status-line .draft-offer");
          if (box) box.scrollIntoView({ block: "nearest" });
        }, 0);
      });
    }
  }
})();
