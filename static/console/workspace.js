// The case page as a workspace: keys for every action, focus where the work is after each
// action, sections that stay as the counselor left them, copy buttons, a confirmation before a
// destructive action, and drafts kept in this browser until sent.
//
// Nothing here talks to the server: forms post as they always did, and the page works without
// this file (every section and panel opens by itself, every form sends).
(function () {
  "use strict";
  var caseId = document.currentScript.getAttribute("data-case-id");
  var DRAFT = "console.draft." + caseId + ".";
  var SENT = "console.draft-sent";
  var SECTION = "console.open.";          // sections: the counselor's layout, for every case
  var PATH = "console.path." + caseId;     // the open path: this case, this tab

  function store(kind) {
    // Storage can be refused (private windows, a policy): the page then simply forgets.
    try { var s = window[kind]; s.getItem("x"); return s; } catch (e) { return null; }
  }
  var local = store("localStorage");
  var session = store("sessionStorage");

  function isField(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function firstField(root) {
    return root.querySelector(
      "[data-focus-first], textarea, input:not([type=hidden]):not([disabled]), select, a[href], button:not([type=button])"
    );
  }

  function visible(el) { return !!(el && el.getClientRects().length); }

  // --- sections and paths that remember -------------------------------------------------------

  var paths = Array.prototype.slice.call(document.querySelectorAll("details.path"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("details[data-remember]"));

  sections.forEach(function (d) {
    if (!d.open && local && local.getItem(SECTION + d.id) === "open") d.open = true;
    d.addEventListener("toggle", function () {
      if (local) local.setItem(SECTION + d.id, d.open ? "open" : "closed");
    });
  });
  var remembered = session && session.getItem(PATH);
  paths.forEach(function (d) {
    if (remembered === d.id && !paths.some(function (p) { return p.open; })) d.open = true;
    d.addEventListener("toggle", function () {
      if (!session) return;
      if (d.open) session.setItem(PATH, d.id);
      else if (session.getItem(PATH) === d.id) session.removeItem(PATH);
    });
  });

  function openAndFocus(details, target) {
    if (!details) return;
    details.open = true;
    var el = target || firstField(details.querySelector(".path-panel") || details) || details.querySelector("summary");
    if (el && visible(el)) el.focus();
    else details.querySelector("summary").focus();
    details.scrollIntoView({ block: "nearest" });
  }

  // --- focus after an action ------------------------------------------------------------------
  // A refused form: open what holds it and put the cursor on the first field it refused. A form
  // that went through: the page comes back at the section it was sent from (#notes, #status...).
  function focusAfterLoad() {
    var error = document.querySelector(".errorlist, .form-errors");
    if (error) {
      var holder = error.closest("details");
      while (holder) { holder.open = true; holder = holder.parentElement && holder.parentElement.closest("details"); }
      var form = error.closest("form");
      var field = form && (form.querySelector(".errorlist + * :is(input, select, textarea), .errorlist ~ :is(input, select, textarea)") || firstField(form));
      if (field) { field.focus(); return; }
      error.setAttribute("tabindex", "-1");
      error.focus();
      return;
    }
    var id = location.hash.slice(1);
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    if (id === "status") {
      var pressed = target.querySelector("[aria-pressed=true]") || target.querySelector("button");
      if (pressed) pressed.focus();
      return;
    }
    if (id === "relay") { var box = target.querySelector("textarea"); if (box) { box.focus(); return; } }
    var details = target.tagName === "DETAILS" ? target : target.closest("details");
    if (id === "close" || id === "erased") { target.setAttribute("tabindex", "-1"); target.focus(); return; }
    if (details) { details.open = true; details.querySelector("summary").focus(); }
  }

  // --- keys -----------------------------------------------------------------------------------
  var dialog = document.getElementById("shortcuts");

  function byKey(key) { return document.querySelector("summary[data-key='" + key + "']"); }

  var SECTIONS = { c: "attempts", a: "assessment", n: "notes" };

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.isComposing) return;
    var t = e.target;
    // Ctrl (or Cmd) + Enter sends the form being typed in; a plain Enter in a text box is a new line.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && isField(t) && t.form) {
      e.preventDefault();
      t.form.requestSubmit();
      return;
    }
    if (e.key === "Escape") {
      if (dialog && dialog.open) return; // the dialog closes itself
      if (isField(t)) {
        // Leaves the field (what was typed stays); the keys below work again.
        var home = t.closest("details");
        t.blur();
        if (home) home.querySelector("summary").focus();
        e.preventDefault();
        return;
      }
      var open = paths.filter(function (p) { return p.open; })[0];
      if (open) { open.open = false; open.querySelector("summary").focus(); e.preventDefault(); }
      return;
    }
    // Single keys never act while typing, nor with a modifier, nor over the dialog.
    if (e.ctrlKey || e.metaKey || e.altKey || isField(t) || (dialog && dialog.open)) return;
    var key = e.key;
    if (key === "?") {
      if (dialog) { e.preventDefault(); dialog.showModal(); }
      return;
    }
    var summary = byKey(key);
    if (summary) {
      e.preventDefault();
      var details = summary.parentElement;
      openAndFocus(details, key === "d" ? document.getElementById("id_what_helped") : null);
      return;
    }
    if (SECTIONS[key]) {
      var section = document.getElementById(SECTIONS[key]);
      if (section) { e.preventDefault(); openAndFocus(section); }
      return;
    }
    if (key === "r") {
      var relay = document.querySelector("#relay textarea");
      if (relay) { e.preventDefault(); relay.focus(); }
      return;
    }
    var statusButton = document.querySelector(".contact-status-set button[data-key='" + key + "']");
    if (statusButton) {
      e.preventDefault();
      if (statusButton.getAttribute("aria-pressed") === "true") { statusButton.focus(); return; }
      statusButton.form.requestSubmit(statusButton);
    }
  });

  var opener = document.querySelector("[data-shortcuts-open]");
  if (opener && dialog) opener.addEventListener("click", function () { dialog.showModal(); });

  // --- destructive actions confirm ------------------------------------------------------------
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });

  // --- copy -----------------------------------------------------------------------------------
  var said = document.getElementById("copied");
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button.copy");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    if (!source) return;
    var text = source.textContent.replace(/\s+/g, " ").trim();
    var done = function () { if (said) said.textContent = "Copied: " + text; button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectAndCopy(source) && done(); });
    } else if (selectAndCopy(source)) {
      done();
    }
  });

  function selectAndCopy(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  // --- drafts ---------------------------------------------------------------------------------
  // A half-typed note, relay, closing form (and the team and transfer forms) survive a reload, a
  // lost connection and the page loading itself again: kept in this browser under the case and
  // the form, never sent anywhere until the counselor sends the form, forgotten once it went
  // through (and at sign-out, by session.js).
  var drafts = Array.prototype.slice.call(document.querySelectorAll("form[data-draft]"));

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (f) {
      return f.name && f.name !== "csrfmiddlewaretoken" && f.type !== "hidden" && f.type !== "submit" && f.type !== "button";
    });
  }

  function changed(f) {
    if (f.type === "checkbox" || f.type === "radio") return f.checked !== f.defaultChecked;
    if (f.tagName === "SELECT") return Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; });
    return f.value !== f.defaultValue;
  }

  function save(form) {
    if (!local) return;
    var values = {};
    var any = false;
    draftFields(form).forEach(function (f) {
      if (!changed(f)) return;
      any = true;
      if (f.type === "radio") { if (f.checked) values[f.name] = f.value; }
      else if (f.type === "checkbox") values[f.name + "\u0000" + f.value] = f.checked;
      else values[f.name] = f.value;
    });
    var key = DRAFT + form.getAttribute("data-draft");
    if (any) local.setItem(key, JSON.stringify(values));
    else local.removeItem(key);
  }

  function restore(form) {
    if (!local) return;
    var raw = local.getItem(DRAFT + form.getAttribute("data-draft"));
    if (!raw) return;
    var values;
    try { values = JSON.parse(raw); } catch (e) { return; }
    var restored = false;
    draftFields(form).forEach(function (f) {
      // What the server sent back (a refused form, as it was posted) wins over the draft.
      if (changedFromEmpty(f)) return;
      if (f.type === "radio") {
        if (values[f.name] !== undefined) { f.checked = values[f.name] === f.value; restored = true; }
      } else if (f.type === "checkbox") {
        var k = f.name + "\u0000" + f.value;
        if (values[k] !== undefined) { f.checked = values[k]; restored = true; }
      } else if (values[f.name] !== undefined) {
        f.value = values[f.name];
        restored = true;
      }
    });
    if (restored) {
      form.setAttribute("data-draft-restored", "");
      // Its section opens; a path stays closed (the page opens with the paths closed) and says
      // that it holds a draft.
      var holder = form.closest("details");
      if (holder && !holder.classList.contains("path")) holder.open = true;
      if (holder && holder.classList.contains("path") && !holder.querySelector(".draft-kept")) {
        var note = document.createElement("span");
        note.className = "draft-kept";
        note.textContent = "draft kept";
        holder.querySelector("summary .path-name").after(note);
      }
    }
  }

  // A field the page itself filled (a refused form comes back with what was posted).
  function changedFromEmpty(f) {
    if (f.type === "checkbox" || f.type === "radio") return false;
    if (f.tagName === "SELECT") return false;
    return f.defaultValue !== "";
  }

  // The form sent last, from this tab: forgotten if it went through, kept if it came back refused.
  var sent = session && session.getItem(SENT);
  if (sent && sent.indexOf(DRAFT) === 0) {
    var name = sent.slice(DRAFT.length);
    var form = document.querySelector("form[data-draft='" + name + "']");
    var refused = form && form.querySelector(".errorlist, .form-errors");
    if (!refused && local) local.removeItem(sent);
    session.removeItem(SENT);
  }

  drafts.forEach(function (form) {
    restore(form);
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
  });
  window.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-draft")) return;
    save(form);
    if (session) session.setItem(SENT, DRAFT + form.getAttribute("data-draft"));
  });

  // The newest message in view when the page opens.
  var transcript = document.getElementById("live-transcript");
  if (transcript && !/^#msg-/.test(location.hash)) transcript.scrollTop = transcript.scrollHeight;

  // After the load: the browser's own move to the #fragment comes first and would undo it.
  function settle() {
    focusAfterLoad();
    // Says the keys, focus and drafts are in place (and lets a test wait for it, not guess).
    document.body.setAttribute("data-workspace", "ready");
  }
  if (document.readyState === "complete") settle();
  else window.addEventListener("load", function () { requestAnimationFrame(settle); });
})();
