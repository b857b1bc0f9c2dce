// With JavaScript the button only sets the choices, so the trainer can still change a few
// before saving; without it, the button submits and the server marks everyone present.
document.querySelectorAll("[data-all-present]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    event.preventDefault();
    button.form.querySelectorAll('input.btn-check[value="present"]').forEach(function (radio) {
      radio.checked = true;
    });
  });
});
