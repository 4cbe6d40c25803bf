// ClaimBot console: the one script (CSP: script-src 'self'). Every page works without it; it only
// offers the browser's time zone for dates, once per session, instead of UTC.
(function () {
  "use strict";
  var body = document.body;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var note = document.getElementById("browser-zone");
  if (note) {
    note.textContent = "Your browser's time zone is " + zone + ".";
    note.hidden = false;
  }
  if (body.dataset.timezoneChosen !== "no" || body.dataset.timezone === zone) return;
  if (!document.querySelector(".signout")) return; // signed out: nothing to save it in
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var form = new URLSearchParams({ csrftoken: token, tz: zone, auto: "1" });
  fetch("/settings", {
    method: "POST",
    body: form,
    credentials: "same-origin",
    headers: { "x-csrftoken": token },
  }).then(function (response) {
    if (response.status === 204) window.location.reload();
  });
})();
