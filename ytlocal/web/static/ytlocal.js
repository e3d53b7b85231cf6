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
  // A time link (data-t) seeks the player when the audio is here; without it (a transcript added as a
  // file) it shows that line of the transcript. Either way the line is highlighted and scrolled into the
  // transcript's box, and the address says where we are (for a reload or a bookmark).
  var player = document.getElementById("player");
  var transcript = document.getElementById("transcript");
  var segments = transcript ? Array.prototype.slice.call(transcript.querySelectorAll("li[data-t]")) : [];
  var starts = segments.map(function (li) { return parseFloat(li.getAttribute("data-t")); });
  var current = transcript ? transcript.querySelector("li.current") : null;
  var follow = document.getElementById("follow");

  var lineAt = function (time) {  // the last line that starts at or before the time
    var low = 0, high = starts.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (starts[middle] <= time + 0.05) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    return found >= 0 ? segments[found] : null;
  };

  var reveal = function (line) {  // scroll the transcript's box (not the page) so the line is in its upper third
    var box = transcript.getBoundingClientRect(), rect = line.getBoundingClientRect();
    if (rect.top < box.top || rect.bottom > box.bottom) {
      transcript.scrollTop += rect.top - box.top - box.height / 3;
    }
  };

  var show = function (time, scroll) {
    var line = lineAt(time);
    if (line !== current) {
      if (current) { current.classList.remove("current"); }
      current = line;
      if (current) { current.classList.add("current"); }
    }
    if (current && scroll) { reveal(current); }
  };

  if (transcript && segments.length) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-t]") : null;
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      var seconds = parseFloat(link.getAttribute("data-t"));
      if (player) {
        player.currentTime = seconds;
        var playing = player.play();
        if (playing && playing.catch) { playing.catch(function () {}); }  // autoplay may be refused: the seek stands
      }
      show(seconds, true);
      if (history.replaceState) { history.replaceState(null, "", link.getAttribute("href")); }
    });
    if (current) { reveal(current); }  // opened at a moment (?t=): its line in view, with or without a player
  }

  if (player) {
    var following = function () { show(player.currentTime, !follow || follow.checked); };
    player.addEventListener("timeupdate", following);
    player.addEventListener("seeked", following);
    var start = player.getAttribute("data-start");
    if (start !== null) {
      var jump = function () {
        if (Math.abs(player.currentTime - parseFloat(start)) > 0.5) { player.currentTime = parseFloat(start); }
        show(player.currentTime, true);
      };
      if (player.readyState >= 1) { jump(); } else { player.addEventListener("loadedmetadata", jump, { once: true }); }
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

    var now = document.getElementById("now");
    var firstLine = function (text) {  // as the server's first_line filter: 220 characters, cut at a word
      text = (text || "").split(/\s+/).join(" ").trim();
      return text.length <= 220 ? text : text.slice(0, 220).replace(/ [^ ]*$/, "") + " …";
    };
    // Text from strangers (titles, file names) in a <bdi>, without bidi controls, as the server writes it.
    var isolate = function (element, text) {
      var bdi = document.createElement("bdi");
      bdi.textContent = (text || "").replace(/[\u202a-\u202e\u2066-\u2069]/g, "");
      while (element.firstChild) { element.removeChild(element.firstChild); }
      if (text) { element.appendChild(bdi); }
    };

    var rowFor = function (id) {
      var rows = body.querySelectorAll("tr.job");
      for (var i = 0; i < rows.length; i++) { if (rows[i].getAttribute("data-job") === id) { return rows[i]; } }
      var row = template.content.firstElementChild.cloneNode(true);
      row.setAttribute("data-job", id);
      row.id = "job-" + id;
      field(row, "cancel").setAttribute("action", "/queue/jobs/" + encodeURIComponent(id) + "/cancel");
      body.insertBefore(row, body.querySelector('tr.job[data-final="yes"]'));  // a new job waits: before the finished
      if (noJobs) { noJobs.hidden = true; }
      return row;
    };

    var showNow = function (job, row) {  // the running job, at the top of the page
      if (!now) { return; }
      var running = body.querySelector('tr.job[data-running="yes"]');
      if (job.stage && !job.final) {
        isolate(field(now, "title"), job.title);
        field(now, "title").setAttribute("href", "#" + row.id);
        var percent = job.total && job.done !== null ? " " + Math.round(100 * Math.min(1, job.done / job.total)) + "%" : "";
        field(now, "stage").textContent = job.stage + percent;
        field(now, "eta").textContent = job.wait ? "about " + job.wait + " left" : "";
        now.hidden = false;
      } else if (!running) {
        now.hidden = true;
      }
    };

    var update = function (job) {
      var row = rowFor(job.id);
      var isFinal = job.final;  // the server's FINAL_STATES
      var isRunning = Boolean(job.stage) && !isFinal;
      row.setAttribute("data-state", job.state);
      row.setAttribute("data-running", isRunning ? "yes" : "");
      var wasFinal = row.getAttribute("data-final") === "yes";
      row.setAttribute("data-final", isFinal ? "yes" : "");
      // The order the server lists them in: the running job first, then the waiting ones, then the finished
      // ones, the latest first.
      if (isRunning && body.firstElementChild !== row) { body.insertBefore(row, body.firstElementChild); }
      if (isFinal && !wasFinal) {
        var firstFinished = body.querySelector('tr.job[data-final="yes"]:not([data-job="' + job.id + '"])');
        body.insertBefore(row, firstFinished);
      }
      isolate(field(row, "title"), job.title);
      isolate(field(row, "label"), job.label !== job.title ? job.label : "");
      field(row, "state").textContent = job.label_state;  // the server's words (templating.state_label)
      var stage = "";
      if (isRunning) { stage = job.stage + (job.step && job.step !== job.stage ? " · " + job.step : ""); }
      field(row, "stage").textContent = stage;
      var bar = field(row, "progress");
      bar.hidden = !(isRunning || job.state === "done");  // nothing in progress: no bar, least of all a moving one
      if (job.state === "done") { bar.value = 1; }
      else if (!isFinal && job.total && job.done !== null) { bar.value = Math.min(1, job.done / job.total); }
      else if (!isFinal) { bar.removeAttribute("value"); }
      field(row, "eta").textContent = (!isFinal && job.wait) ? job.wait : "";
      field(row, "tldr").textContent = firstLine(job.tldr);
      field(row, "error").textContent = (job.state === "failed" || job.state === "skipped") && job.error ? job.error : "";
      var open = field(row, "open");
      if (job.href && job.state === "done") { open.href = job.href; open.hidden = false; }
      else { open.hidden = true; }
      field(row, "cancel").hidden = isFinal;
      showNow(job, row);
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
