// The Live page: follow dripd's live stream and list what arrives, newest
// first. Text only (textContent), so nothing from the stream is parsed as
// HTML.
(function () {
  "use strict";
  var feed = document.getElementById("live-feed");
  var status = document.getElementById("live-status");
  var empty = document.getElementById("live-empty");
  var max = 500;

  function el(tag, cls, text, href) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (href) e.setAttribute("href", href);
    return e;
  }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function usd(n) {
    n = Number(n);
    if (n === 0) return "$0.00";
    if (n >= 1) return "$" + n.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
    if (n >= 0.01) return "$" + n.toFixed(4);
    return "$" + n.toFixed(6).replace(/0+$/, "");
  }
  function runLink(id) { return el("a", "mono", id, "/runs/" + encodeURIComponent(id)); }

  function add(kind, d) {
    var li = el("li");
    li.setAttribute("data-kind", kind);
    var when = new Date();
    li.appendChild(el("span", "when", when.toISOString().substring(11, 19)));
    li.appendChild(el("span", "badge " + (kind === "usage.recorded" ? "live" : "ok"), kind));
    var body = el("span", "what");
    if (kind === "run.event") {
      li.setAttribute("data-id", d.id);
      if (d.outcome === "FAILED") li.className = "failed";
      body.appendChild(el("b", null, d.eventType + " "));
      var m = d.metadata || {};
      var parts = [];
      if (m.model) parts.push(m.model);
      if (m.name) parts.push(m.name);
      if (m.inputTokens !== undefined || m.outputTokens !== undefined) {
        parts.push(num(m.inputTokens || 0) + " in / " + num(m.outputTokens || 0) + " out");
      }
      if (d.costUnits !== undefined && d.costUnits !== null) parts.push(usd(d.costUnits));
      body.appendChild(el("span", null, parts.join(" · ") + " · run "));
      body.appendChild(runLink(d.runId));
    } else if (kind === "run.started" || kind === "run.ended") {
      li.setAttribute("data-id", d.id);
      body.appendChild(el("b", null, d.workflowName + " "));
      body.appendChild(el("span", null, d.status + " · "));
      body.appendChild(runLink(d.id));
    } else if (kind === "usage.recorded") {
      li.setAttribute("data-id", d.usageEventId);
      body.appendChild(el("b", null, d.usageType + " "));
      body.appendChild(el("span", null, num(d.quantity) + " · customer " + d.customerId));
    }
    li.appendChild(body);
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > max) feed.removeChild(feed.lastChild);
    if (empty) { empty.remove(); empty = null; }
  }

  var es = new EventSource("/live/stream");
  es.onopen = function () { status.textContent = "connected"; status.className = "badge ok"; };
  es.onerror = function () { status.textContent = "reconnecting…"; status.className = "badge bad"; };
  ["run.started", "run.ended", "run.event", "usage.recorded"].forEach(function (k) {
    es.addEventListener(k, function (m) {
      try { add(k, JSON.parse(m.data)); } catch (e) { /* a malformed message is skipped */ }
    });
  });
})();
