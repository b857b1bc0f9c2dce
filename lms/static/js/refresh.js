// The trainer's test page refreshes itself every 15 seconds while a test is open (who started,
// who submitted), unless she is typing in a form.
(function () {
  "use strict";
  if (!document.querySelector("[data-testid=room-link]")) { return; }
  window.setInterval(function () {
    var active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "SELECT")) { return; }
    window.location.reload();
  }, 15000);
})();
