// Ask before destructive actions: any form with data-confirm="message" needs a yes.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Filters that apply as soon as a choice changes: <select data-autosubmit>.
document.addEventListener("change", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) {
    event.target.form.submit();
  }
});

// Read-only addresses to copy: <input data-select-on-click> selects itself when clicked.
document.addEventListener("click", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-click")) {
    event.target.select();
  }
});

// A sideways-scrolling chart of periods opens on the latest: <div data-scroll-end>.
document.querySelectorAll("[data-scroll-end]").forEach(function (box) {
  box.scrollLeft = box.scrollWidth;
});
