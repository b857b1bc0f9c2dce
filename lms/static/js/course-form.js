// Show the accredited courses only for a ToT course (the server ignores them otherwise).
(function () {
  var box = document.getElementById("is_tot");
  var group = document.getElementById("accredits-group");
  if (!box || !group) { return; }
  function sync() { group.hidden = !box.checked; }
  box.addEventListener("change", sync);
  sync();
})();
