// Taking a test: answers are saved in the background as they are given, and the countdown shows the
// server's time left. Without this script the page still works through "Save and next".
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  var countdown = document.getElementById("countdown");
  var messages = document.getElementById("autosave-messages");
  var status = document.getElementById("save-status");

  function say(key) {
    if (status && messages) { status.textContent = messages.dataset[key] || ""; }
  }

  var secondsLeft = countdown ? parseInt(countdown.dataset.secondsLeft, 10) : null;
  var textNode = countdown ? countdown.querySelector("[data-countdown-text]") : null;

  function showTime() {
    if (!textNode || secondsLeft === null || isNaN(secondsLeft)) { return; }
    var s = Math.max(0, secondsLeft);
    var minutes = Math.floor(s / 60);
    var seconds = s % 60;
    textNode.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  if (countdown && !isNaN(secondsLeft)) {
    var timer = window.setInterval(function () {
      secondsLeft -= 1;
      showTime();
      if (secondsLeft <= 0) {
        window.clearInterval(timer);
        // The server grades the attempt on what was saved; reloading shows the result.
        window.setTimeout(function () { window.location.reload(); }, 1500);
      }
    }, 1000);
  }

  if (!form || !form.dataset.autosaveUrl) { return; }
  var pending = null;
  var inFlight = Promise.resolve();

  function save() {
    var data = new FormData(form);
    data.delete("action");
    say("saving");
    inFlight = inFlight.then(function () {
      return fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": data.get("csrf_token"), "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) {
          if (body.saved) {
            say("saved");
            if (typeof body.seconds_left === "number") { secondsLeft = body.seconds_left; showTime(); }
            var link = document.querySelector('.page-link[data-position="' + data.get("position") + '"]');
            if (link) { link.classList.add("answered"); }
          } else if (body.closed && body.result_url) {
            window.location.assign(body.result_url);
          } else {
            say("failed");
          }
        });
      }).catch(function () { say("failed"); });
    });
    return inFlight;
  }

  form.addEventListener("change", function () { save(); });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text" || event.target.tagName === "TEXTAREA") {
      window.clearTimeout(pending);
      pending = window.setTimeout(save, 800);
    }
  });
})();
