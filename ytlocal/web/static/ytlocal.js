// ytlocal serve: the one script. It seeks the player when a time is clicked, keeps the transcript
// on the line being played, and keeps the queue's rows current from the event stream. Everything
// it writes into the page goes through textContent or attributes, never as HTML.
"use strict";

(function () {
  // "/" focuses the search box (unless typing somewhere already).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && !target.isContentEditable) {
      var box = document.getElementById("quick-q");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });

  // ------------------------------------------------------------------ the video page
  var player = document.getElementById("player");
  var transcript = document.getElementById("transcript");
  if (player) {
    var segments = transcript ? Array.prototype.slice.call(transcript.querySelectorAll("li[data-t]")) : [];
    var starts = segments.map(function (li) { return parseFloat(li.getAttribute("data-t")); });
    var current = null;
    var follow = document.getElementById("follow");

    var seek = function (seconds) {
      player.currentTime = seconds;
      var playing = player.play();
      if (playing && playing.catch) { playing.catch(function () {}); }  // autoplay may be refused: the seek stands
      highlight(true);
    };

    var highlight = function (scroll) {
      if (!segments.length) { return; }
      var time = player.currentTime, low = 0, high = starts.length - 1, found = -1;
      while (low <= high) {  // the last segment that starts at or before the time
        var middle = (low + high) >> 1;
        if (starts[middle] <= time + 0.05) { found = middle; low = middle + 1; } else { high = middle - 1; }
      }
      var next = found >= 0 ? segments[found] : null;
      if (next === current) { return; }
      if (current) { current.classList.remove("current"); }
      current = next;
      if (current) {
        current.classList.add("current");
        if (scroll && (!follow || follow.checked)) {
          var box = transcript.getBoundingClientRect(), line = current.getBoundingClientRect();
          if (line.top < box.top || line.bottom > box.bottom) {
            transcript.scrollTop += line.top - box.top - box.height / 3;
          }
        }
      }
    };

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-t]") : null;
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      seek(parseFloat(link.getAttribute("data-t")));
      if (history.replaceState) {
        history.replaceState(null, "", link.getAttribute("href"));
      }
    });
    player.addEventListener("timeupdate", function () { highlight(true); });
    player.addEventListener("seeked", function () { highlight(true); });

    var start = player.getAttribute("data-start");
    if (start !== null) {
      var jump = function () { if (Math.abs(player.currentTime - parseFloat(start)) > 0.5) { player.currentTime = parseFloat(start); } highlight(true); };
      if (player.readyState >= 1) { jump(); } else { player.addEventListener("loadedmetadata", jump, { once: true }); }
      var marked = transcript ? transcript.querySelector("li.current") : null;
      if (marked) { current = marked; transcript.scrollTop = marked.offsetTop - transcript.offsetTop - 40; }
    }
  }

  // ------------------------------------------------------------------ the queue page
  var jobs = document.getElementById("jobs");
  if (jobs && window.EventSource) {
    var body = jobs.querySelector("tbody");
    var template = document.getElementById("job-template");
    var message = document.getElementById("queue-message");
    var noJobs = document.getElementById("no-jobs");
    var waitingSection = document.getElementById("waiting-section");
    var waitingList = document.getElementById("waiting");

    var field = function (row, name) { return row.querySelector('[data-field="' + name + '"]'); };

    var rowFor = function (id) {
      var rows = body.querySelectorAll("tr.job");
      for (var i = 0; i < rows.length; i++) { if (rows[i].getAttribute("data-job") === id) { return rows[i]; } }
      var row = template.content.firstElementChild.cloneNode(true);
      row.setAttribute("data-job", id);
      field(row, "cancel").setAttribute("action", "/queue/jobs/" + encodeURIComponent(id) + "/cancel");
      body.appendChild(row);
      if (noJobs) { noJobs.hidden = true; }
      return row;
    };

    var update = function (job) {
      var row = rowFor(job.id);
      var isFinal = job.final;  // the server's FINAL_STATES
      row.setAttribute("data-state", job.state);
      field(row, "title").textContent = job.title;
      field(row, "state").textContent = job.state + (job.cancel_requested && !isFinal ? " (cancelling)" : "");
      var stage = "";
      if (job.stage && !isFinal) { stage = job.stage + (job.step && job.step !== job.stage ? " · " + job.step : ""); }
      field(row, "stage").textContent = stage;
      var bar = field(row, "progress");
      if (job.state === "done") { bar.value = 1; }
      else if (!isFinal && job.total && job.done !== null) { bar.value = Math.min(1, job.done / job.total); }
      else if (!isFinal) { bar.removeAttribute("value"); }
      field(row, "eta").textContent = (!isFinal && job.eta_s !== null) ? Math.round(job.eta_s) + " s" : "";
      field(row, "tldr").textContent = job.tldr ? job.tldr.slice(0, 220) : "";
      field(row, "error").textContent = (job.state === "failed" || job.state === "skipped") && job.error ? job.error : "";
      var open = field(row, "open");
      if (job.library_id && job.state === "done") { open.href = "/video/" + encodeURIComponent(job.library_id); open.hidden = false; }
      else { open.hidden = true; }
      field(row, "cancel").hidden = isFinal;
    };

    var showQueue = function (queue) {
      if (message) { message.textContent = queue.message || ""; }
      if (!waitingList) { return; }
      var csrf = document.querySelector('input[name="csrf"]');
      while (waitingList.firstChild) { waitingList.removeChild(waitingList.firstChild); }
      queue.waiting.forEach(function (source) {
        var item = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = source.source;
        item.appendChild(text);
        var form = document.createElement("form");
        form.method = "post";
        form.action = "/queue/sources/" + encodeURIComponent(source.id) + "/cancel";
        var token = document.createElement("input");
        token.type = "hidden"; token.name = "csrf"; token.value = csrf ? csrf.value : "";
        var button = document.createElement("button");
        button.type = "submit"; button.textContent = "Remove";
        form.appendChild(token); form.appendChild(button); item.appendChild(form);
        waitingList.appendChild(item);
      });
      waitingSection.hidden = queue.waiting.length === 0;
    };

    var events = new EventSource(jobs.getAttribute("data-events"));
    events.addEventListener("job", function (event) { update(JSON.parse(event.data)); });
    events.addEventListener("queue", function (event) { showQueue(JSON.parse(event.data)); });
    jobs.setAttribute("data-live", "connecting");
    events.addEventListener("open", function () { jobs.setAttribute("data-live", "open"); });
    events.addEventListener("error", function () {
      // The browser reconnects by itself (a server restart); it gives up only when refused (a new token).
      var closed = events.readyState === EventSource.CLOSED;
      jobs.setAttribute("data-live", closed ? "closed" : "reconnecting");
      jobs.setAttribute("data-drops", String((Number(jobs.getAttribute("data-drops")) || 0) + 1));
      if (closed && message) { message.textContent = "Lost the server (restarted with a new token?): open the link `ytlocal serve` printed."; }
    });
  }
})();
