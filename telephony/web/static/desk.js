// frontdesk agent desk: plain JavaScript, no build step, no dependencies.
// Handoffs arrive over Server-Sent Events (/desk/events); every value shown comes from the
// server as JSON and is written with textContent (never as HTML).
(function () {
  "use strict";

  var state = JSON.parse(document.getElementById("desk-state").textContent || "{}");
  var OFFERED = { pending: 1, dialing: 1, briefing: 1 };
  var ACTIVE = { accepted: 1, connected: 1 };
  var STATUS_TEXT = {
    pending: "waiting", dialing: "ringing agent", briefing: "briefing", accepted: "accepted",
    connected: "connected", declined: "declined", no_answer: "no answer", busy: "busy",
    failed: "failed", closed: "closed", returned: "back with AI", completed: "completed"
  };
  var handoffs = new Map();   // id -> handoff JSON
  var fresh = new Set();      // ids that arrived live and were not looked at yet
  var selected = null;
  var notesDirty = false;
  var ready = false;
  var skewMs = 0;             // server clock minus this clock
  var source = null;

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.hidden = !on; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function briefing(h) { return isObj(h.briefing) ? h.briefing : {}; }
  function nowSec() { return (Date.now() + skewMs) / 1000; }
  function compact(v) {
    if (v === null || v === undefined) { return ""; }
    if (typeof v === "string") { return v; }
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }
  function short(v, n) { var s = compact(v); return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var pad = function (x) { return (x < 10 ? "0" : "") + x; };
    return h ? h + "h " + pad(m) + "m" : m ? m + "m " + pad(s) + "s" : s + "s";
  }
  function clock(at) {
    if (typeof at === "number" && at > 1e9) {
      return new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit",
                                                          second: "2-digit" });
    }
    if (typeof at === "number") {   // seconds into the call
      var m = Math.floor(at / 60), sec = Math.floor(at % 60);
      return m + ":" + (sec < 10 ? "0" : "") + sec;
    }
    if (typeof at === "string") {
      var parsed = Date.parse(at);
      return isNaN(parsed) ? at : clock(parsed / 1000);
    }
    return "";
  }
  function humanize(code) { return code ? String(code).replace(/_/g, " ") : ""; }

  function callerName(h) {
    var b = briefing(h), c = isObj(b.customer) ? b.customer : {};
    var name = c.name || c.full_name || c.guest_name ||
      [c.first_name, c.last_name].filter(Boolean).join(" ");
    return name || b.caller_number || "Unknown caller";
  }

  // -- sentiment ------------------------------------------------------------------------
  function sentimentLabel(b) {
    if (b.sentiment_label) { return String(b.sentiment_label); }
    var v = b.sentiment_now;
    if (typeof v !== "number") { return "unknown"; }
    return v <= -0.25 ? "negative" : v >= 0.25 ? "positive" : "neutral";
  }
  function sentimentSeries(b) {
    var t = Array.isArray(b.sentiment_scores) ? b.sentiment_scores : b.sentiment_trend, out = [];
    if (Array.isArray(t)) {
      t.forEach(function (p) {
        var v = typeof p === "number" ? p
          : isObj(p) ? (p.score !== undefined ? p.score : p.value !== undefined ? p.value
                        : p.sentiment) : null;
        if (typeof v === "number" && isFinite(v)) { out.push(v); }
      });
    }
    if (out.length < 2 && Array.isArray(b.transcript)) {
      out = [];
      b.transcript.forEach(function (line) {
        if (isObj(line) && typeof line.sentiment === "number") { out.push(line.sentiment); }
      });
    }
    return out;
  }
  function trendWords(b, series) {
    var t = b.sentiment_trend;
    if (typeof t === "string" && t) {
      var arrow = /worse|declin|down|fall|drop/i.test(t) ? "↘ "
        : /better|improv|up|ris/i.test(t) ? "↗ " : /steady|flat|stable|same/i.test(t) ? "→ " : "";
      return arrow + humanize(t);
    }
    if (series.length >= 2) {
      var d = series[series.length - 1] - series[0];
      return d < -0.15 ? "↘ getting worse" : d > 0.15 ? "↗ getting better" : "→ steady";
    }
    return "";
  }
  // What made the caller seem frustrated (dialog.sentiment.REASONS), in plain words.
  var FRUSTRATION_WHY = {
    rephrasing: "rephrased their question", talking_over: "talked over the AI",
    asked_for_person: "asked for a person", raised_voice: "raised their voice",
    negative_streak: "unhappy several turns in a row"
  };
  function frustration(b) {
    var level = b.frustration;
    if (typeof level !== "number" || !isFinite(level)) { return null; }
    var why = (Array.isArray(b.frustration_reasons) ? b.frustration_reasons : [])
      .map(function (r) { return FRUSTRATION_WHY[r] || humanize(r); });
    var last = why.pop();
    return {
      words: level >= 0.75 ? "Very frustrated" : level >= 0.5 ? "Frustrated"
        : level >= 0.2 ? "Somewhat frustrated" : "No sign of frustration",
      cls: level >= 0.5 ? "f-high" : level >= 0.2 ? "f-some" : "f-none",
      why: last ? ": " + (why.length ? why.join(", ") + " and " : "") + last + "." : ".",
      level: level
    };
  }
  function sparkline(series) {
    var NS = "http://www.w3.org/2000/svg", w = 180, hgt = 40, pad = 4;
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + hgt);
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(hgt));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Sentiment during the call: " +
      series.map(function (v) { return v.toFixed(2); }).join(", "));
    var lo = Math.min(-1, Math.min.apply(null, series)), hi = Math.max(1, Math.max.apply(null, series));
    var y = function (v) { return pad + (hi - v) / (hi - lo) * (hgt - 2 * pad); };
    var x = function (i) { return pad + i * (w - 2 * pad) / Math.max(1, series.length - 1); };
    var zero = document.createElementNS(NS, "line");
    zero.setAttribute("x1", String(pad)); zero.setAttribute("x2", String(w - pad));
    zero.setAttribute("y1", String(y(0))); zero.setAttribute("y2", String(y(0)));
    zero.setAttribute("class", "spark-zero");
    svg.appendChild(zero);
    var line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", series.map(function (v, i) {
      return x(i).toFixed(1) + "," + y(v).toFixed(1);
    }).join(" "));
    line.setAttribute("class", "spark-line");
    svg.appendChild(line);
    var last = series.length - 1, dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", x(last).toFixed(1)); dot.setAttribute("cy", y(series[last]).toFixed(1));
    dot.setAttribute("r", "3"); dot.setAttribute("class", "spark-dot");
    svg.appendChild(dot);
    return svg;
  }

  // -- the list -------------------------------------------------------------------------
  function sorted() {
    return Array.from(handoffs.values()).sort(function (a, b) {
      return (b.created_at || 0) - (a.created_at || 0);
    });
  }
  function badge(node, status) {
    node.textContent = STATUS_TEXT[status] || humanize(status);
    node.className = "badge " + (OFFERED[status] ? "b-offered" : ACTIVE[status] ? "b-active"
                                 : "b-ended");
  }
  function waitText(h) {
    return OFFERED[h.status] ? "waiting " + duration(nowSec() - (h.created_at || nowSec()))
      : duration(nowSec() - (h.created_at || nowSec())) + " ago";
  }
  function renderList() {
    var list = $("list"), all = sorted();
    clear(list);
    all.forEach(function (h) {
      var b = briefing(h), li = el("li"), btn = el("button", "item");
      btn.type = "button";
      btn.dataset.id = h.id;
      if (h.id === selected) { btn.classList.add("selected"); btn.setAttribute("aria-current", "true"); }
      if (fresh.has(h.id)) { btn.classList.add("new"); }
      if (!OFFERED[h.status] && !ACTIVE[h.status]) { btn.classList.add("ended"); }
      var top = el("span", "item-top");
      top.appendChild(el("span", "item-name", callerName(h)));
      var bd = el("span"); badge(bd, h.status); top.appendChild(bd);
      btn.appendChild(top);
      btn.appendChild(el("span", "item-reason", b.reason_text || humanize(h.reason) || ""));
      var bottom = el("span", "item-bottom muted");
      bottom.appendChild(el("span", "", humanize(h.queue)));
      var wait = el("span", "wait", waitText(h));
      wait.dataset.id = h.id;
      bottom.appendChild(wait);
      btn.appendChild(bottom);
      btn.addEventListener("click", function () { select(h.id, true); });
      li.appendChild(btn);
      list.appendChild(li);
    });
    show($("empty"), all.length === 0);
    var open = all.filter(function (h) { return OFFERED[h.status]; }).length;
    $("count").textContent = all.length ? "(" + open + " waiting)" : "";
    document.title = (fresh.size ? "(" + fresh.size + ") " : "") + "frontdesk · agent desk";
  }
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".wait"), function (node) {
      var h = handoffs.get(node.dataset.id);
      if (h) { node.textContent = waitText(h); }
    });
  }

  // -- the selected handoff -------------------------------------------------------------
  function select(id, byAgent) {
    if (selected !== id) { notesDirty = false; }
    selected = id;
    if (byAgent) { fresh.delete(id); }
    renderList();
    renderDetail(true);
  }
  function renderDetail(newSelection) {
    var h = selected && handoffs.get(selected);
    show($("nothing"), !h);
    show($("handoff"), !!h);
    if (!h) { return; }
    var b = briefing(h);
    $("h-title").textContent = callerName(h);
    var meta = [b.caller_number, b.verified ? "verified" : (b.verified === false ? "not verified" : ""),
                b.customer_id ? "customer " + b.customer_id : "", b.language,
                b.intent ? "intent: " + humanize(b.intent) : "", "queue: " + humanize(h.queue),
                h.accepted_by ? "accepted by " + h.accepted_by : ""];
    $("h-meta").textContent = meta.filter(Boolean).join(" · ");
    badge($("h-status"), h.status);
    $("accept").disabled = !OFFERED[h.status];
    $("decline").disabled = !OFFERED[h.status];
    if (newSelection) { show($("action-msg"), false); }

    $("h-summary").textContent = b.summary || "No summary.";
    var bullets = $("h-bullets");
    clear(bullets);
    (Array.isArray(b.bullets) ? b.bullets : []).forEach(function (x) {
      bullets.appendChild(el("li", "", compact(x)));
    });

    var label = sentimentLabel(b), sent = $("h-sentiment");
    sent.textContent = label + (typeof b.sentiment_now === "number"
      ? " (" + (b.sentiment_now > 0 ? "+" : "") + b.sentiment_now.toFixed(2) + ")" : "");
    sent.className = "sentiment s-" + (/neg/i.test(label) ? "neg" : /pos/i.test(label) ? "pos" : "neu");
    var series = sentimentSeries(b);
    $("h-trend").textContent = trendWords(b, series);
    var spark = $("h-spark");
    clear(spark);
    if (series.length >= 2) { spark.appendChild(sparkline(series)); }
    var upset = frustration(b);
    show($("h-frustration"), !!upset);
    if (upset) {
      $("h-frustration-level").textContent = upset.words;
      $("h-frustration-level").className = upset.cls;
      $("h-frustration-level").title = "Frustration " + upset.level.toFixed(2) + " of 1";
      $("h-frustration-why").textContent = upset.why;
    }

    $("h-reason").textContent = b.reason_text || humanize(b.reason || h.reason) || "—";
    var request = b.request || h.request;
    $("h-request").textContent = request ? "Caller asked: “" + request + "”" : "";
    $("h-next").textContent = b.suggested_next_step || "—";

    var dl = $("h-customer");
    clear(dl);
    var customer = isObj(b.customer) ? b.customer : {};
    var keys = Object.keys(customer);
    if (!keys.length) { dl.appendChild(el("dd", "muted", b.verified ? "No record." : "Caller not identified.")); }
    keys.forEach(function (k) {
      dl.appendChild(el("dt", "", humanize(k)));
      dl.appendChild(el("dd", "", compact(customer[k])));
    });

    var ol = $("h-transcript");
    clear(ol);
    var lines = Array.isArray(b.transcript) ? b.transcript : [];
    if (!lines.length) { ol.appendChild(el("li", "muted", "No transcript.")); }
    lines.forEach(function (line) {
      if (!isObj(line)) { return; }
      var who = line.speaker === "caller" ? "caller" : "agent";
      var li = el("li", "line " + who);
      li.appendChild(el("span", "t-at muted", clock(line.at)));
      li.appendChild(el("span", "t-who", who === "caller" ? "Caller" : "AI agent"));
      li.appendChild(el("span", "t-text", compact(line.text)));
      ol.appendChild(li);
    });

    var tools = Array.isArray(b.tools) ? b.tools : [], table = $("h-tools");
    var body = table.tBodies[0];
    clear(body);
    show(table, tools.length > 0);
    show($("h-notools"), tools.length === 0);
    tools.forEach(function (t) {
      if (!isObj(t)) { return; }
      var tr = el("tr");
      tr.appendChild(el("td", "mono", t.name));
      tr.appendChild(el("td", "mono", short(t.args, 160)));
      tr.appendChild(el("td", t.allowed === false ? "refused" : "",
                        t.allowed === false ? "refused" + (t.reason ? ": " + humanize(t.reason) : "")
                                            : "yes"));
      tr.appendChild(el("td", "mono", short(t.result, 200)));
      body.appendChild(tr);
    });

    if (newSelection || !notesDirty) {
      $("notes").value = h.notes || "";
      $("outcome").value = h.outcome || "";
      $("notes-msg").textContent = "";
    }
  }

  // -- live updates ---------------------------------------------------------------------
  function upsert(h) {
    if (!h || !h.id) { return; }
    var known = handoffs.has(h.id);
    handoffs.set(h.id, h);
    if (!known && ready) { fresh.add(h.id); }
    if (!selected && (ready || OFFERED[h.status])) {
      select(h.id, false);
      return;
    }
    renderList();
    if (h.id === selected) { renderDetail(false); }
  }
  function setConn(text, cls) {
    var c = $("conn");
    c.textContent = text;
    c.className = "conn " + cls;
    show(c, true);
  }
  function connect() {
    if (source) { source.close(); }
    setConn("connecting…", "c-wait");
    source = new EventSource("/desk/events");
    source.addEventListener("handoff", function (e) { upsert(JSON.parse(e.data)); });
    source.addEventListener("ready", function (e) {
      var info = JSON.parse(e.data);
      if (typeof info.now === "number") { skewMs = info.now * 1000 - Date.now(); }
      ready = true;
      setConn("live", "c-live");
      renderList();
    });
    source.onopen = function () { setConn("live", "c-live"); };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, or the server is down): find out which, then retry.
        setConn("offline — retrying", "c-down");
        source.close();
        fetch("/desk/session", { credentials: "same-origin" }).then(function (r) {
          if (r.status === 401) { signedOut(); } else { setTimeout(connect, 3000); }
        }, function () { setTimeout(connect, 3000); });
      } else {
        setConn("reconnecting…", "c-wait");
      }
    };
  }

  function post(path, body) {
    var headers = { "X-CSRF-Token": state.csrf || "" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: "POST", credentials: "same-origin", headers: headers,
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          return { status: r.status, data: data };
        });
      });
  }
  function act(action) {
    var id = selected;
    if (!id) { return; }
    $("accept").disabled = true;
    $("decline").disabled = true;
    post("/desk/handoffs/" + encodeURIComponent(id) + "/" + action).then(function (res) {
      var msg = $("action-msg");
      if (res.status === 200) {
        upsert(res.data);
        msg.textContent = action === "accept" ? "Accepted: you are being connected to the caller."
                                              : "Declined.";
        msg.className = "msg ok";
      } else {
        if (res.data && res.data.handoff) { upsert(res.data.handoff); }
        msg.textContent = (res.data && res.data.error) || "Failed (" + res.status + ").";
        msg.className = "msg error";
        if (res.status === 401) { signedOut(); }
      }
      show(msg, true);
      renderDetail(false);
    }, function () {
      renderDetail(false);
      $("action-msg").textContent = "Network error; try again.";
      show($("action-msg"), true);
    });
  }

  // -- screens --------------------------------------------------------------------------
  function signedOut() {
    if (source) { source.close(); source = null; }
    state.user = null;
    state.csrf = null;
    show($("desk"), false);
    show($("who"), false);
    show($("logout"), false);
    show($("conn"), false);
    show($("signin"), true);
    $("username").focus();
  }
  function signedIn() {
    show($("signin"), false);
    show($("desk"), true);
    $("who").textContent = state.user;
    show($("who"), true);
    show($("logout"), true);
    connect();
  }

  function start() {
    if (!state.enabled) {
      $("off-hint").textContent = state.hint || "";
      show($("off"), true);
      return;
    }
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var err = $("login-error");
      show(err, false);
      var form = new URLSearchParams();
      form.set("username", $("username").value);
      form.set("password", $("password").value);
      fetch("/desk/login", { method: "POST", credentials: "same-origin", body: form,
                             headers: { "X-Requested-With": "frontdesk-desk" } })
        .then(function (r) { return r.json().then(function (d) { return [r.status, d]; }); })
        .then(function (res) {
          if (res[0] === 200) {
            state.user = res[1].user;
            state.csrf = res[1].csrf;
            $("password").value = "";
            signedIn();
          } else {
            err.textContent = res[1].error || "Sign-in failed.";
            show(err, true);
          }
        }, function () { err.textContent = "Network error."; show(err, true); });
    });
    $("logout").addEventListener("click", function () {
      fetch("/desk/logout", { method: "POST", credentials: "same-origin",
                              headers: { "X-Requested-With": "frontdesk-desk" } })
        .then(signedOut, signedOut);
    });
    $("accept").addEventListener("click", function () { act("accept"); });
    $("decline").addEventListener("click", function () { act("decline"); });
    $("notes").addEventListener("input", function () { notesDirty = true; });
    $("outcome").addEventListener("change", function () { notesDirty = true; });
    $("notes-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var id = selected, msg = $("notes-msg");
      if (!id) { return; }
      msg.textContent = "Saving…";
      post("/desk/handoffs/" + encodeURIComponent(id) + "/notes",
           { notes: $("notes").value, outcome: $("outcome").value || null }).then(function (res) {
        if (res.status === 200) {
          notesDirty = false;
          upsert(res.data);
          msg.textContent = "Saved.";
          msg.className = "msg ok";
        } else {
          msg.textContent = (res.data && res.data.error) || "Not saved (" + res.status + ").";
          msg.className = "msg error";
          if (res.status === 401) { signedOut(); }
        }
      }, function () { msg.textContent = "Network error; not saved."; msg.className = "msg error"; });
    });
    setInterval(tick, 1000);
    if (state.user) { signedIn(); } else { signedOut(); }
  }

  start();
}());
