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

  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.textContent = paused ? "Resume" : "Pause";
  });
  setInterval(tick, INTERVAL_MS);
  tick();
})();
