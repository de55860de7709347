// frontdesk routing-rules console: plain JavaScript, no build step, no dependencies.
// Every value shown comes from the server as JSON and is written with textContent (never HTML).
(function () {
  "use strict";

  var state = JSON.parse(document.getElementById("admin-state").textContent || "{}");
  var active = null;      // {version, source, summary} of the active rules
  var summary = null;     // the parsed summary last seen (menus, languages, time zone)
  var versions = [];
  var badLines = {};      // line number -> problem text, from the last check

  function $(id) { return document.getElementById(id); }
  function show(node, on) { node.hidden = !on; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString([], { year: "numeric", month: "short",
      day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function isAdmin() { return state.role === "admin"; }
  function message(node, text, kind) {
    node.textContent = text || "";
    node.className = "msg" + (kind ? " " + kind : "");
    show(node, !!text);
  }

  // -- the server --------------------------------------------------------------------------
  function request(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
    if (method === "POST") {
      init.headers["X-CSRF-Token"] = state.csrf || "";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401) { signedOut(); }
        return { status: response.status, data: data };
      });
    });
  }
  function get(path) { return request("GET", path); }
  function post(path, body) { return request("POST", path, body); }

  // -- the editor ----------------------------------------------------------------------------
  var source = $("source");
  var gutter = $("gutter");

  function lineCount() { return source.value.split("\n").length; }
  function renderGutter() {
    var n = lineCount();
    var have = gutter.childNodes.length;
    for (var i = have; i < n; i++) { gutter.appendChild(el("div", "ln", i + 1)); }
    while (gutter.childNodes.length > n) { gutter.removeChild(gutter.lastChild); }
    for (var j = 0; j < n; j++) {
      var cell = gutter.childNodes[j];
      var bad = badLines[j + 1];
      cell.className = bad ? "ln bad" : "ln";
      cell.title = bad || "";
    }
    gutter.scrollTop = source.scrollTop;
  }
  function setSource(text) {
    source.value = text;
    badLines = {};
    renderGutter();
    markDirty();
  }
  function markDirty() {
    show($("dirty"), active !== null && source.value !== active.source);
  }
  function jumpTo(line) {
    var lines = source.value.split("\n");
    line = Math.max(1, Math.min(line, lines.length));
    var start = 0;
    for (var i = 0; i < line - 1; i++) { start += lines[i].length + 1; }
    source.focus();
    source.setSelectionRange(start, start + lines[line - 1].length);
    var lineHeight = parseFloat(getComputedStyle(source).lineHeight) || 18;
    source.scrollTop = Math.max(0, (line - 4) * lineHeight);
    gutter.scrollTop = source.scrollTop;
    Array.prototype.forEach.call(gutter.childNodes, function (cell, k) {
      cell.classList.toggle("current", k === line - 1);
    });
  }
  function showProblems(problems) {
    var list = $("problems");
    clear(list);
    badLines = {};
    (problems || []).forEach(function (p) {
      var item = el("li", "problem");
      var where = p.line ? "line " + p.line : "file";
      var button = el("button", "link jump", where);
      button.type = "button";
      button.dataset.line = p.line || "";
      if (p.line) {
        badLines[p.line] = (badLines[p.line] ? badLines[p.line] + "\n" : "") +
          (p.path ? p.path + ": " : "") + p.message;
        button.addEventListener("click", function () { jumpTo(p.line); });
      } else { button.disabled = true; }
      item.appendChild(button);
      if (p.path) { item.appendChild(el("code", "path", p.path)); }
      item.appendChild(el("span", "text", p.message));
      list.appendChild(item);
    });
    show(list, (problems || []).length > 0);
    renderGutter();
    if (problems && problems.length && problems[0].line) { jumpTo(problems[0].line); }
  }

  function check() {
    message($("editor-msg"), "Checking…");
    return post("/admin/api/validate", { source: source.value }).then(function (r) {
      if (r.status !== 200) { message($("editor-msg"), r.data.error || "Check failed.", "bad");
                              return; }
      showProblems(r.data.problems);
      if (r.data.ok) {
        summary = r.data.summary;
        message($("editor-msg"), "No problems: these rules are valid.", "good");
      } else {
        var n = r.data.problems.length;
        message($("editor-msg"), n + (n === 1 ? " problem" : " problems") +
                " found. Nothing was saved.", "bad");
      }
    });
  }

  function save() {
    if (!active) { return; }
    $("save").disabled = true;
    message($("editor-msg"), "Saving…");
    post("/admin/api/rules", { source: source.value, based_on: active.version.id,
                               comment: $("comment").value }).then(function (r) {
      $("save").disabled = false;
      if (r.status === 201) {
        showProblems([]);
        $("comment").value = "";
        message($("editor-msg"), "Saved as version " + r.data.id + ". New calls use it now.",
                "good");
        return loadActive(false).then(loadHistory);
      }
      if (r.status === 422) {
        showProblems(r.data.problems);
        message($("editor-msg"), "Not saved: " + r.data.problems.length +
                " problem(s) to fix first.", "bad");
      } else if (r.status === 409) {
        message($("editor-msg"), "Not saved: someone else saved version " + r.data.active +
                " while you were editing. Copy your change, press Reload active, and make " +
                "it again on their version.", "bad conflict");
      } else {
        message($("editor-msg"), r.data.error || "Saving failed.", "bad");
      }
    });
  }

  // -- active rules and history ---------------------------------------------------------------
  function loadActive(replaceText) {
    return get("/admin/api/rules").then(function (r) {
      if (r.status !== 200) { return; }
      active = r.data;
      summary = r.data.summary;
      $("active-label").textContent = "· active version " + active.version.id;
      if (replaceText) { setSource(active.source); showProblems([]); }
      markDirty();
      fillDryRunChoices();
    });
  }

  function rollBack(version) {
    if (!active) { return; }
    if (!window.confirm("Roll back to version " + version.id + "? This makes a new version " +
                        "with its text; new calls use it at once.")) { return; }
    post("/admin/api/rollback", { to_version: version.id, based_on: active.version.id })
      .then(function (r) {
        if (r.status === 201) {
          message($("history-msg"), "Rolled back: version " + r.data.id + " has the text of " +
                  "version " + version.id + ".", "good");
          return loadActive(true).then(loadHistory);
        }
        message($("history-msg"), r.status === 409 ? "Someone else saved version " +
                r.data.active + " first: the list is reloaded, check it and try again."
                : (r.data.error || "Roll back failed."), "bad");
        return loadHistory();
      });
  }

  function showDiff(version) {
    get("/admin/api/diff?new=" + encodeURIComponent(version.id)).then(function (r) {
      if (r.status !== 200) { return; }
      var box = $("diff");
      clear(box);
      $("diff-title").textContent = r.data.old === null
        ? "Version " + version.id + " is the first: nothing to compare."
        : "Changes from version " + r.data.old + " to version " + version.id;
      var text = r.data.diff || (r.data.old === null ? "" : "(the same text)");
      text.split("\n").forEach(function (line) {
        var cls = /^\+\+\+|^---/.test(line) ? "d-file" : line[0] === "+" ? "d-add"
          : line[0] === "-" ? "d-del" : line.slice(0, 2) === "@@" ? "d-hunk" : "d-same";
        box.appendChild(el("span", "dl " + cls, line || " "));
      });
      show($("diff-box"), true);
    });
  }

  function loadHistory() {
    return Promise.all([get("/admin/api/versions"), get("/admin/api/audit?limit=50")])
      .then(function (results) {
        var r = results[0];
        if (r.status !== 200) { return; }
        versions = r.data.versions;
        var body = $("versions");
        clear(body);
        versions.forEach(function (v) {
          var row = el("tr");
          row.dataset.id = v.id;
          var name = el("td", null, "v" + v.id);
          if (v.id === r.data.active) {
            row.className = "active";
            name.appendChild(el("span", "badge live", "active"));
          }
          row.appendChild(name);
          row.appendChild(el("td", null, v.kind + (v.rolled_back_to ? " to v" +
                                                   v.rolled_back_to : "")));
          row.appendChild(el("td", null, v.author));
          row.appendChild(el("td", null, when(v.created_at)));
          row.appendChild(el("td", "comment", v.comment));
          var actions = el("td", "row-actions");
          var diff = el("button", "diff-btn", "Diff");
          diff.type = "button";
          diff.addEventListener("click", function () { showDiff(v); });
          actions.appendChild(diff);
          if (isAdmin() && v.id !== r.data.active) {
            var back = el("button", "rollback-btn", "Roll back to this");
            back.type = "button";
            back.addEventListener("click", function () { rollBack(v); });
            actions.appendChild(back);
          }
          row.appendChild(actions);
          body.appendChild(row);
        });
        var audit = $("audit");
        clear(audit);
        (results[1].data.audit || []).forEach(function (a) {
          var d = a.detail || {};
          var what = a.action + (a.version ? " v" + a.version : "") +
            (d.reason ? " (" + d.reason + ")" : "");
          audit.appendChild(el("li", null, when(a.at) + " · " + a.user + " (" + a.role +
                                             ") · " + what));
        });
      });
  }

  // -- dry run ------------------------------------------------------------------------------
  function fillSelect(select, values, keep) {
    var before = select.value;
    clear(select);
    values.forEach(function (v) { var o = el("option", null, v); o.value = v;
                                  select.appendChild(o); });
    if (keep && values.indexOf(before) >= 0) { select.value = before; }
  }
  function fillDryRunChoices() {
    if (!summary) { return; }
    fillSelect($("dr-language"), summary.languages, true);
    if (!$("dr-language").dataset.touched) { $("dr-language").value = summary.default_language; }
    fillSelect($("dr-menu"), summary.menus, true);
    if (!$("dr-menu").dataset.touched && summary.entry_menu) {
      $("dr-menu").value = summary.entry_menu;
    }
    $("dr-zone").textContent = "(" + summary.timezone + ")";
  }
  function mode() { return $("dr-mode-keypad").checked ? "keypad" : "text"; }
  function showMode() {
    var keypad = mode() === "keypad";
    show($("dr-text-row"), !keypad);
    show($("dr-keypad-row"), keypad);
    show($("dr-menu-row"), keypad);
  }

  function dryRun(event) {
    event.preventDefault();
    var body = { caller: $("dr-caller").value, language: $("dr-language").value,
                 time: $("dr-time").value, failed_turns: parseInt($("dr-failed").value, 10) || 0 };
    if (mode() === "keypad") {
      body.keypad = $("dr-keypad").value;
      body.menu = $("dr-menu").value;
    } else {
      body.text = $("dr-text").value;
    }
    if ($("dr-sentiment").value !== "") { body.sentiment = parseFloat($("dr-sentiment").value); }
    if ($("dr-unsaved").checked) { body.source = source.value; }
    message($("dry-msg"), "Routing…");
    show($("dry-result"), false);
    post("/admin/api/dry-run", body).then(function (r) {
      if (r.status !== 200) {
        if (r.data.problems) { showProblems(r.data.problems); }
        message($("dry-msg"), r.data.error || "The dry run failed.", "bad");
        return;
      }
      message($("dry-msg"), "");
      var d = r.data.decision;
      $("dr-action").textContent = d.action;
      var detail = [];
      if (d.queue) { detail.push("queue " + d.queue); }
      if (d.priority) { detail.push("priority " + d.priority); }
      if (d.menu) { detail.push("menu " + d.menu); }
      if (d.tool) { detail.push("tool " + d.tool); }
      if (d.question) { detail.push("asks: " + d.question); }
      $("dr-detail").textContent = detail.join(" · ");
      $("dr-rule").textContent = (d.rule || "none (default)") +
        (r.data.version ? " — version " + r.data.version : " — unsaved text");
      var heard = r.data.intent ? "intent " + r.data.intent + " (confidence " +
        r.data.confidence + ")" : "keys " + JSON.stringify(r.data.digits) + " at " + r.data.menu;
      if (typeof r.data.sentiment === "number") { heard += ", sentiment " + r.data.sentiment; }
      if (r.data.tier) { heard += ", tier " + r.data.tier; }
      $("dr-heard").textContent = heard + ", language " + r.data.language;
      $("dr-local").textContent = r.data.local_time;
      $("dr-say").textContent = d.message || "—";
      var list = $("dr-reasons");
      clear(list);
      r.data.reasons.forEach(function (code) { list.appendChild(el("li", null, code)); });
      show($("dry-result"), true);
    });
  }

  // -- signing in and out -----------------------------------------------------------------------
  function signedOut() {
    state.user = null; state.csrf = null; state.role = null;
    render();
  }
  function render() {
    $("business").textContent = state.business || "";
    if (!state.enabled) {
      $("off-hint").textContent = state.hint || "";
      show($("off"), true); show($("signin"), false); show($("console"), false);
      return;
    }
    var signedIn = !!state.user;
    show($("signin"), !signedIn);
    show($("console"), signedIn);
    show($("who"), signedIn); show($("role"), signedIn); show($("logout"), signedIn);
    if (!signedIn) { return; }
    $("who").textContent = state.user;
    $("role").textContent = state.role;
    source.readOnly = !isAdmin();
    show($("readonly-note"), !isAdmin());
    Array.prototype.forEach.call(document.querySelectorAll(".admin-only"), function (node) {
      show(node, isAdmin());
    });
    loadActive(true).then(loadHistory);
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var err = $("login-error");
    show(err, false);
    fetch("/admin/login", { method: "POST", credentials: "same-origin",
                            body: new FormData($("login-form")),
                            headers: { "X-Requested-With": "frontdesk-admin" } })
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      })
      .then(function (res) {
        if (res[0] !== 200) { err.textContent = res[1].error || "Sign-in failed.";
                              show(err, true); return; }
        state.user = res[1].user; state.role = res[1].role; state.csrf = res[1].csrf;
        $("password").value = "";
        render();
      });
  });
  $("logout").addEventListener("click", function () {
    fetch("/admin/logout", { method: "POST", credentials: "same-origin",
                             headers: { "X-Requested-With": "frontdesk-admin" } })
      .then(signedOut);
  });

  source.addEventListener("input", function () { renderGutter(); markDirty(); });
  source.addEventListener("scroll", function () { gutter.scrollTop = source.scrollTop; });
  source.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && !source.readOnly) {   // YAML is indented with spaces
      event.preventDefault();
      var start = source.selectionStart;
      source.setRangeText("  ", start, source.selectionEnd, "end");
      renderGutter(); markDirty();
    }
  });
  $("check").addEventListener("click", check);
  $("save").addEventListener("click", save);
  $("reload").addEventListener("click", function () {
    if (source.value !== (active && active.source) &&
        !window.confirm("Discard your unsaved changes and load the active version?")) { return; }
    message($("editor-msg"), "");
    loadActive(true).then(loadHistory);
  });
  $("dry-form").addEventListener("submit", dryRun);
  $("dr-mode-text").addEventListener("change", showMode);
  $("dr-mode-keypad").addEventListener("change", showMode);
  $("dr-language").addEventListener("change", function () { this.dataset.touched = "1"; });
  $("dr-menu").addEventListener("change", function () { this.dataset.touched = "1"; });

  showMode();
  render();
}());
