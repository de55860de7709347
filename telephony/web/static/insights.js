/* frontdesk insights: KPIs and plots over a period, the call list, a call's page.
   Plain JavaScript, no build step; everything is read from /insights/api (signed in). */
(function () {
  "use strict";
  var state = JSON.parse(document.getElementById("insights-state").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var STAGES = ["end_of_turn_wait", "stt", "dialog", "tts_first_audio"];
  var period = null;   // {since, until} in Unix seconds

  function $(id) { return document.getElementById(id); }
  function show(node, on) { node.hidden = !on; }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; }
  function num(x, digits) {
    return x === null || x === undefined ? "—" : Number(x).toFixed(digits || 0);
  }
  function when(t) {
    return t ? new Date(t * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "medium" })
             : "—";
  }
  function seconds(s) {
    if (s === null || s === undefined) { return "—"; }
    return s < 60 ? Math.round(s) + " s" : Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  }
  function get(path) {
    return fetch(path, { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { signedOut(); throw new Error("signed out"); }
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error || response.statusText); }
        return body;
      });
    });
  }
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] !== false; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
  }

  // -- the period ----------------------------------------------------------------------------
  function isoDay(date) {
    var local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return local.toISOString().slice(0, 10);
  }
  function dayStart(text) {   // local midnight of a YYYY-MM-DD
    var parts = text.split("-").map(Number);
    return new Date(parts[0], parts[1] - 1, parts[2]).getTime() / 1000;
  }
  function readPeriod() {
    var since = dayStart($("from").value), until = dayStart($("to").value) + 86400;
    return until > since ? { since: since, until: until } : null;
  }

  // -- KPI tiles -----------------------------------------------------------------------------
  function tile(label, value, note) {
    var box = el("div", "tile");
    box.appendChild(el("div", "tile-value", value));
    box.appendChild(el("div", "tile-label", label));
    if (note) { box.appendChild(el("div", "tile-note muted", note)); }
    return box;
  }
  function renderTiles(k) {
    var tiles = $("tiles");
    clear(tiles);
    var v2v = k.latency_ms.voice_to_voice;
    tiles.appendChild(tile("calls", k.calls, k.undecided ? k.undecided + " in progress" : ""));
    tiles.appendChild(tile("resolved by the AI", pct(k.containment), k.by_outcome.resolved + " calls"));
    tiles.appendChild(tile("transferred", pct(k.transfer_rate),
                           (k.by_outcome.transferred + k.by_outcome.callback) + " calls"));
    tiles.appendChild(tile("first-contact resolution", pct(k.first_contact_resolution)));
    tiles.appendChild(tile("abandoned", pct(k.abandonment), k.by_outcome.abandoned + " calls"));
    tiles.appendChild(tile("failed", k.by_outcome.failed));
    tiles.appendChild(tile("QA score", k.qa.mean_score === null ? "—" : pct(k.qa.mean_score),
                           k.qa.scored + " calls scored"));
    tiles.appendChild(tile("sentiment", num(k.sentiment.start, 2) + " → " + num(k.sentiment.end, 2),
                           "first → last turn"));
    tiles.appendChild(tile("voice to voice", v2v.p50 === null ? "—" : num(v2v.p50) + " ms",
                           v2v.p95 === null ? "" : "p95 " + num(v2v.p95) + " ms"));
    tiles.appendChild(tile("handle time", seconds(k.handle_time_seconds.p50), "median"));
    if (k.llm.turns) {
      tiles.appendChild(tile("LLM tokens", k.llm.prompt_tokens + k.llm.completion_tokens,
                             k.llm.turns + " turns" + (k.llm.cost_usd === null ? ""
                               : " · $" + k.llm.cost_usd.toFixed(4))));
    }
  }

  // -- plots (SVG) ---------------------------------------------------------------------------
  var W = 420, H = 170, L = 44, R = 10, T = 10, B = 26;
  function plot(id, points, lines, range, bars) {
    var root = $(id);
    clear(root);
    var n = points.length;
    if (!n) { return; }
    var lo = range[0], hi = range[1];
    lines.forEach(function (line) {
      points.forEach(function (p) {
        var v = p[line.key];
        if (v !== null && v !== undefined) { hi = Math.max(hi, v); lo = Math.min(lo, v); }
      });
    });
    if (hi === lo) { hi = lo + 1; }
    var step = (W - L - R) / n;
    function x(i) { return L + step * (i + 0.5); }
    function y(v) { return T + (H - T - B) * (1 - (v - lo) / (hi - lo)); }
    [lo, (lo + hi) / 2, hi].forEach(function (v) {
      root.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
      root.appendChild(svg("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" },
                           range.format ? range.format(v) : String(Math.round(v * 100) / 100)));
    });
    var every = Math.max(1, Math.ceil(n / 7));
    points.forEach(function (p, i) {
      if (i % every === 0) {
        root.appendChild(svg("text", { x: x(i), y: H - 8, class: "axis", "text-anchor": "middle" },
                             p.label.slice(-5)));
      }
    });
    if (bars) {
      points.forEach(function (p, i) {
        var v = p[bars] || 0;
        root.appendChild(svg("rect", { x: x(i) - step * 0.35, width: step * 0.7, y: y(v),
                                        height: Math.max(0, y(lo) - y(v)), class: "bar-0",
                                        "data-value": v }));
      });
    }
    lines.forEach(function (line, li) {
      var path = "";
      points.forEach(function (p, i) {
        var v = p[line.key];
        if (v === null || v === undefined) { return; }
        path += (path ? " L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        root.appendChild(svg("circle", { cx: x(i), cy: y(v), r: 2.5, class: "dot-" + li }));
      });
      if (path) { root.appendChild(svg("path", { d: path, class: "line-" + li })); }
      root.appendChild(svg("text", { x: L + 6 + li * 130, y: T + 10, class: "legend-" + li },
                           line.label));
    });
  }
  function renderPlots(series) {
    var asPct = function (v) { return Math.round(v * 100) + "%"; };
    plot("plot-calls", series, [], [0, 1], "calls");
    plot("plot-rates", series, [{ key: "containment", label: "resolved by the AI" },
                                { key: "transfer_rate", label: "transferred" }],
         Object.assign([0, 1], { format: asPct }));
    plot("plot-sentiment", series, [{ key: "sentiment_start", label: "first turn" },
                                    { key: "sentiment_end", label: "last turn" }], [-1, 1]);
    plot("plot-latency", series, [{ key: "voice_to_voice_p50", label: "p50" },
                                  { key: "voice_to_voice_p95", label: "p95" }],
         Object.assign([0, 500], { format: function (v) { return String(Math.round(v)); } }));
  }

  // -- the knowledge base's gaps -------------------------------------------------------------
  function renderUnanswered(found) {
    var list = $("unanswered");
    clear(list);
    $("unanswered-note").textContent = found.questions
      ? found.questions + " questions, grouped by " + found.grouped_by : "none in this period";
    found.groups.forEach(function (g) {
      var li = el("li", "gap");
      li.appendChild(el("strong", "gap-question", g.question));
      li.appendChild(el("span", "muted", " · asked " + g.asked + "× in " + g.calls +
                        (g.calls === 1 ? " call" : " calls")));
      var others = g.wordings.filter(function (w) { return w !== g.question; });
      if (others.length) { li.appendChild(el("div", "muted small", "also: " + others.join(" · "))); }
      var first = g.turns[0];
      var link = el("a", "small", "first asked");
      link.href = "#call/" + first[0] + "/turn-" + first[1];
      li.appendChild(el("span", null, " "));
      li.appendChild(link);
      list.appendChild(li);
    });
  }

  // -- the call list -------------------------------------------------------------------------
  function fillChoices(select, values) {
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    values.forEach(function (v) { select.appendChild(new Option(v, v)); });
    select.value = values.indexOf(chosen) >= 0 ? chosen : "";
  }
  function loadCalls() {
    var params = { since: period.since, until: period.until, q: $("q").value.trim(),
                   outcome: $("f-outcome").value, queue: $("f-queue").value,
                   language: $("f-language").value, qa_failed: $("f-qa").checked };
    return get("/insights/api/calls?" + query(params)).then(function (body) {
      fillChoices($("f-queue"), body.choices.queue);
      fillChoices($("f-language"), body.choices.language);
      $("calls-count").textContent = body.total + (body.total === 1 ? " call" : " calls");
      var rows = $("calls").tBodies[0];
      clear(rows);
      body.calls.forEach(function (c) {
        var tr = el("tr", "call-row");
        tr.dataset.sid = c.call_sid;
        tr.tabIndex = 0;
        [when(c.started_at), c.from_number || "—", c.language || "—"].forEach(function (t) {
          tr.appendChild(el("td", null, t));
        });
        var outcome = el("td");
        outcome.appendChild(el("span", "badge outcome-" + (c.outcome || "undecided"),
                               c.outcome || "in progress"));
        if (c.outcome_reason) { outcome.appendChild(el("span", "muted small", " " + c.outcome_reason)); }
        tr.appendChild(outcome);
        tr.appendChild(el("td", null, c.queue || "—"));
        tr.appendChild(el("td", null, c.caller_turns));
        tr.appendChild(el("td", null, seconds(c.handle_seconds)));
        var qa = el("td", c.qa_failed.length ? "qa-failed" : null,
                    c.qa_score === null ? "—" : pct(c.qa_score));
        if (c.qa_failed.length) { qa.title = "failed: " + c.qa_failed.join(", "); }
        tr.appendChild(qa);
        tr.appendChild(el("td", "words", c.first_words));
        tr.addEventListener("click", function () { location.hash = "#call/" + c.call_sid; });
        tr.addEventListener("keydown", function (e) {
          if (e.key === "Enter") { location.hash = "#call/" + c.call_sid; }
        });
        rows.appendChild(tr);
      });
    });
  }
  function loadOverview() {
    period = readPeriod() || period;
    if (!period) { return Promise.resolve(); }
    $("period-note").textContent = "times in " + state.timezone + " on the plots" +
      ($("f-queue").value ? "; the KPIs of queue " + $("f-queue").value : "");
    return Promise.all([
      get("/insights/api/report?" + query({ since: period.since, until: period.until,
                                            queue: $("f-queue").value })).then(function (body) {
        renderTiles(body.kpis);
        renderPlots(body.series);
        renderUnanswered(body.unanswered);
      }),
      loadCalls()
    ]);
  }

  // -- a call's page -------------------------------------------------------------------------
  function fact(list, term, value) {
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }
  function offset(call, t) { return t ? "+" + (t - call.started_at).toFixed(1) + " s" : ""; }
  function latencyBar(latency) {
    var bar = el("div", "latency");
    var total = STAGES.reduce(function (sum, s) { return sum + (latency[s] || 0); }, 0);
    STAGES.forEach(function (stage, i) {
      var ms = latency[stage];
      if (ms === null || ms === undefined) { return; }
      var part = el("span", "stage stage-" + i, stage.replace(/_/g, " ") + " " + Math.round(ms));
      part.style.flexGrow = String(Math.max(ms, 1));
      part.title = stage + ": " + Math.round(ms) + " ms";
      bar.appendChild(part);
    });
    if (latency.voice_to_voice !== undefined && latency.voice_to_voice !== null) {
      bar.appendChild(el("span", "v2v", "voice to voice " + Math.round(latency.voice_to_voice) + " ms"));
    } else if (total) {
      bar.appendChild(el("span", "v2v", Math.round(total) + " ms"));
    }
    return bar;
  }
  function turnItem(call, turn) {
    var li = el("li", "turn");
    li.id = "turn-" + turn.turn_index;
    var head = el("div", "turn-head");
    head.appendChild(el("span", "turn-index", "turn " + turn.turn_index));
    head.appendChild(el("span", "muted", offset(call, turn.caller_started_at || turn.replied_at)));
    if (turn.intent) {
      head.appendChild(el("span", "chip", turn.intent +
        (turn.confidence !== null && turn.confidence !== undefined ? " " + num(turn.confidence, 2) : "")));
    }
    if (turn.sentiment !== null && turn.sentiment !== undefined) {
      head.appendChild(el("span", "chip sentiment-" + (turn.sentiment_label || "neutral"),
                          "sentiment " + num(turn.sentiment, 2)));
    }
    li.appendChild(head);
    var said = turn.caller_text || (turn.caller_dtmf ? "[keypad] " + turn.caller_dtmf : "");
    if (said) { li.appendChild(el("p", "said caller", said)); }
    if (turn.route) {
      var r = turn.route;
      li.appendChild(el("p", "route", "route: " + (r.rule || "—") + " → " + (r.action || "—") +
                        (r.queue ? " (" + r.queue + ")" : "") +
                        (r.version ? " · rules v" + r.version : "")));
    }
    (turn.tools || []).forEach(function (t) {
      li.appendChild(el("span", "chip tool " + (t.allowed === false || (t.reason && t.reason !== "ok")
                                                  ? "tool-bad" : "tool-ok"),
                        "tool " + t.name + ": " + (t.reason || (t.allowed ? "ok" : "refused"))));
    });
    var reply = turn.heard_text || turn.reply_text;
    if (reply) {
      li.appendChild(el("p", "said agent", reply + (turn.interrupted ? " [interrupted]" : "")));
    }
    if (turn.reason_codes && turn.reason_codes.length) {
      li.appendChild(el("p", "muted small", "why: " + turn.reason_codes.join(", ")));
    }
    if (turn.latency) { li.appendChild(latencyBar(turn.latency)); }
    return li;
  }
  function eventItem(call, e) {
    var li = el("li", "event");
    var detail = e.detail || {};
    var text = Object.keys(detail).slice(0, 4).map(function (k) {
      var v = detail[k];
      return k + " " + (typeof v === "object" ? JSON.stringify(v) : v);
    }).join(", ");
    li.appendChild(el("span", "muted", offset(call, e.at) + " "));
    li.appendChild(el("strong", null, e.kind.replace(/_/g, " ")));
    if (text) { li.appendChild(el("span", "muted small", " " + text)); }
    return li;
  }
  function renderCall(call) {
    $("c-title").textContent = "Call from " + (call.from_number || "an unknown number");
    var facts = $("c-facts");
    clear(facts);
    fact(facts, "Call SID", call.call_sid);
    fact(facts, "Started", when(call.started_at));
    fact(facts, "Length", call.ended_at ? seconds(call.ended_at - call.started_at) : "in progress");
    fact(facts, "Outcome", (call.outcome || "in progress") +
         (call.outcome_reason ? " (" + call.outcome_reason + ")" : ""));
    fact(facts, "Language", call.language || "—");
    fact(facts, "Ended by", call.end_reason || "—");
    if (call.repeated_by) { fact(facts, "Called again", call.repeated_by); }
    call.handoffs.forEach(function (h) {
      fact(facts, "Transfer", h.queue + " · " + h.status + (h.accepted_by ? " · " + h.accepted_by : ""));
    });
    var rec = $("c-recordings");
    clear(rec);
    if (!call.recordings.length) { rec.appendChild(el("p", "muted", "Not recorded.")); }
    call.recordings.forEach(function (r) {
      var wrap = el("div", "recording-wrap");
      wrap.appendChild(el("span", "muted", "Recording · " + seconds(r.seconds) +
                          " · caller left, agent right"));
      var audio = el("audio", "recording");
      audio.controls = true;
      audio.preload = "metadata";
      audio.src = "/insights/api/calls/" + encodeURIComponent(call.call_sid) + "/recordings/" +
        encodeURIComponent(r.stream_sid) + ".wav";
      wrap.appendChild(audio);
      rec.appendChild(wrap);
    });
    var qa = $("c-qa");
    clear(qa);
    $("c-qa-score").textContent = call.qa ? (call.qa.score === null ? "no item applied"
                                                                    : pct(call.qa.score)) : "not scored";
    ((call.qa && call.qa.items) || []).forEach(function (item) {
      var mark = item.passed === true ? "pass" : item.passed === false ? "fail" : "n/a";
      var li = el("li", "qa-item qa-" + mark.replace("/", ""));
      li.appendChild(el("span", "badge", mark));
      li.appendChild(el("span", null, " " + item.check.replace(/_/g, " ")));
      if (item.by === "llm") { li.appendChild(el("span", "chip judge", "LLM judge")); }
      if (item.detail) { li.appendChild(el("span", "muted small", " " + item.detail)); }
      if (item.turn !== null && item.turn !== undefined) {
        var link = el("a", "turn-link", "turn " + item.turn);
        link.href = "#call/" + call.call_sid + "/turn-" + item.turn;
        li.appendChild(el("span", null, " "));
        li.appendChild(link);
      }
      qa.appendChild(li);
    });
    var timeline = $("c-timeline");
    clear(timeline);
    var items = call.turns.map(function (t) {
      return { at: t.caller_started_at || t.replied_at || call.started_at, node: turnItem(call, t) };
    }).concat(call.events.map(function (e) { return { at: e.at, node: eventItem(call, e) }; }));
    items.sort(function (a, b) { return a.at - b.at; });
    items.forEach(function (item) { timeline.appendChild(item.node); });
  }
  function openCall(sid, turn) {
    show($("overview"), false);
    show($("call-page"), true);
    return get("/insights/api/calls/" + encodeURIComponent(sid)).then(function (call) {
      renderCall(call);
      var target = turn && $(turn);
      if (target) { target.classList.add("focus"); target.scrollIntoView(); }
    }).catch(function (e) {
      $("c-title").textContent = "Call " + sid + ": " + e.message;
    });
  }

  // -- navigation, signing in and out --------------------------------------------------------
  function route() {
    var m = /^#call\/([^/]+)(?:\/(turn-\d+))?$/.exec(location.hash);
    if (m) { return openCall(decodeURIComponent(m[1]), m[2]); }
    show($("call-page"), false);
    show($("overview"), true);
    return loadOverview();
  }
  function signedOut() { state.user = null; state.csrf = null; render(); }
  function render() {
    $("business").textContent = state.business || "";
    if (!state.enabled) {
      $("off-hint").textContent = state.hint || "";
      show($("off"), true); show($("signin"), false);
      show($("overview"), false); show($("call-page"), false);
      return;
    }
    var signedIn = !!state.user;
    show($("signin"), !signedIn);
    show($("who"), signedIn); show($("logout"), signedIn);
    if (!signedIn) { show($("overview"), false); show($("call-page"), false); return; }
    $("who").textContent = state.user;
    route();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var err = $("login-error");
    show(err, false);
    fetch("/insights/login", { method: "POST", credentials: "same-origin",
                               body: new FormData($("login-form")),
                               headers: { "X-Requested-With": "frontdesk-insights" } })
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      })
      .then(function (res) {
        if (res[0] !== 200) { err.textContent = res[1].error || "Sign-in failed.";
                              show(err, true); return; }
        state.user = res[1].user; state.csrf = res[1].csrf;
        $("password").value = "";
        render();
      });
  });
  $("logout").addEventListener("click", function () {
    fetch("/insights/logout", { method: "POST", credentials: "same-origin",
                                headers: { "X-Requested-With": "frontdesk-insights" } })
      .then(signedOut);
  });
  $("period-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadOverview();
  });
  ["f-outcome", "f-language", "f-qa"].forEach(function (id) {
    $(id).addEventListener("change", loadCalls);
  });
  $("f-queue").addEventListener("change", loadOverview);  // the KPIs are the queue's too
  var typing = null;
  $("q").addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(loadCalls, 250);
  });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); loadCalls(); });
  $("back").addEventListener("click", function (event) { event.preventDefault(); location.hash = ""; });
  window.addEventListener("hashchange", function () { if (state.user) { route(); } });

  var today = new Date();
  $("to").value = isoDay(today);
  $("from").value = isoDay(new Date(today.getTime() - 6 * 86400000));
  render();
}());
