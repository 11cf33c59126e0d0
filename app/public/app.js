// The release watcher: polls the API every 500 ms and shows who answered. No external resources.
"use strict";
(function () {
  var INTERVAL_MS = 500;
  var MAX_ROWS = 40;
  var rows = document.getElementById("rows");
  var counts = document.getElementById("counts");
  var toggle = document.getElementById("toggle");
  var tally = {};
  var paused = false;
  // The last minute of this page's own answers, used when the router offers no split.
  var recent = [];
  var SPLIT_WINDOW_MS = 60000;
  var splitRows = document.getElementById("split-rows");
  var splitBar = document.getElementById("split-bar");
  var splitSource = document.getElementById("split-source");

  function randomNumber() {
    // Mostly ordinary numbers, sometimes a large one to show the factorization stays fast.
    return Math.random() < 0.1
      ? Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 2)) + 2
      : Math.floor(Math.random() * 1e9) + 2;
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function addRow(kind, data, ms) {
    var tr = document.createElement("tr");
    tr.className = "slot-" + kind;
    tr.appendChild(cell(new Date().toLocaleTimeString()));
    tr.appendChild(cell(data.slot || kind));
    tr.appendChild(cell(data.version || ""));
    tr.appendChild(cell(data.host || ""));
    tr.appendChild(cell(data.number !== undefined ? String(data.number) : ""));
    tr.appendChild(cell(data.factors ? data.factors.join(" × ") : (data.error || "")));
    tr.appendChild(cell(String(ms)));
    rows.insertBefore(tr, rows.firstChild);
    while (rows.childNodes.length > MAX_ROWS) rows.removeChild(rows.lastChild);
    recent.push({ t: Date.now(), slot: kind === "error" ? "error" : (data.slot || "?"), version: data.version || "", ok: kind !== "error" });
    var key = kind === "error" ? "errors" : (data.slot || "?") + " " + (data.version || "");
    tally[key] = (tally[key] || 0) + 1;
    counts.textContent = Object.keys(tally).sort().map(function (k) { return k + ": " + tally[k]; }).join(" · ");
  }

  function tick() {
    if (paused) return;
    var started = Date.now();
    var n = randomNumber();
    fetch("api/calculation", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ number: n })
    }).then(function (res) {
      return res.json().then(function (body) {
        var slot = res.headers.get("x-app-slot") || body.slot;
        var version = res.headers.get("x-app-version") || body.version;
        body.slot = slot;
        body.version = version;
        addRow(res.ok && slot ? slot : "error", body, Date.now() - started);
      });
    }).catch(function (err) {
      addRow("error", { error: String(err) }, Date.now() - started);
    });
  }

  // The split of the last minute: the local router's count of all production answers when it
  // serves _phoenix/traffic (local backend), otherwise this page's own answers.
  function ownSplit() {
    var since = Date.now() - SPLIT_WINDOW_MS;
    recent = recent.filter(function (r) { return r.t >= since; });
    var by = {};
    recent.forEach(function (r) {
      var k = r.slot + " " + r.version;
      by[k] = by[k] || { slot: r.slot, version: r.version, ok: 0, failed: 0 };
      if (r.ok) by[k].ok++; else by[k].failed++;
    });
    var rowsOut = Object.keys(by).map(function (k) { return by[k]; });
    var total = rowsOut.reduce(function (n, r) { return n + r.ok + r.failed; }, 0);
    rowsOut.forEach(function (r) { r.share = total ? (r.ok + r.failed) / total : 0; });
    return rowsOut.sort(function (a, b) { return b.share - a.share; });
  }

  function renderSplit(list, source) {
    splitSource.textContent = "(" + source + ")";
    while (splitRows.firstChild) splitRows.removeChild(splitRows.firstChild);
    while (splitBar.firstChild) splitBar.removeChild(splitBar.firstChild);
    list.forEach(function (r) {
      var slotClass = "slot-" + (["blue", "green", "local"].indexOf(r.slot) >= 0 ? r.slot : "error");
      var tr = document.createElement("tr");
      tr.className = slotClass;
      [r.slot, r.version, String(r.ok + r.failed), String(r.failed), (r.share * 100).toFixed(1) + " %"].forEach(function (v) { tr.appendChild(cell(v)); });
      splitRows.appendChild(tr);
      var seg = document.createElement("span");
      seg.className = "split-seg " + slotClass;
      seg.style.width = (r.share * 100).toFixed(2) + "%";
      seg.title = r.slot + " " + r.version + ": " + (r.share * 100).toFixed(1) + " %";
      splitBar.appendChild(seg);
    });
  }

  function refreshSplit() {
    fetch("_phoenix/traffic", { cache: "no-store" }).then(function (res) {
      if (!res.ok || (res.headers.get("content-type") || "").indexOf("application/json") !== 0) throw new Error("no router split");
      return res.json();
    }).then(function (body) {
      renderSplit(body.split, "all production answers, counted by the router");
    }).catch(function () {
      renderSplit(ownSplit(), "this page's answers");
    });
  }

  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.textContent = paused ? "Resume" : "Pause";
  });
  setInterval(tick, INTERVAL_MS);
  setInterval(refreshSplit, 2000);
  tick();
  refreshSplit();
})();
