// Copy a report's narrative: <button data-copy-target="#id"> copies that field's text.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
  if (button) {
    var field = document.querySelector(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-copied") || button.textContent;
      });
    } else {
      document.execCommand("copy");
    }
    return;
  }
  var printer = event.target.closest ? event.target.closest("[data-print]") : null;
  if (printer) { window.print(); }
});
