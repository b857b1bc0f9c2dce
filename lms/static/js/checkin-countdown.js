// Count down to the next code and fetch it the moment it changes.
(function () {
  var counter = document.querySelector("[data-seconds-left]");
  if (!counter) { return; }
  var left = parseInt(counter.getAttribute("data-seconds-left"), 10);
  setInterval(function () {
    left -= 1;
    if (left <= 0) { window.location.reload(); return; }
    counter.textContent = left;
  }, 1000);
})();
