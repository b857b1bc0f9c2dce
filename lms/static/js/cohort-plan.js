// Progressive help for the planning form; without JavaScript the buttons do the same.
(function () {
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  function submitWith(name) {
    var button = form.querySelector('button[name="' + name + '"]') || document.getElementById("refresh-button");
    button.click();
  }
  var course = form.querySelector("#course_id");
  var start = form.querySelector("#start_date");
  var district = form.querySelector("#district_id");
  var community = form.querySelector("#community_id");
  if (course) {
    course.addEventListener("change", function () {
      submitWith(start && start.value && form.querySelector('button[name="propose"]') ? "propose" : "refresh");
    });
  }
  if (start) { start.addEventListener("change", function () { submitWith("refresh"); }); }
  function showCommunities() {
    if (!district || !community) { return; }
    Array.prototype.forEach.call(community.options, function (option) {
      var own = !option.dataset.district || option.dataset.district === district.value;
      option.hidden = !own;
      if (!own && option.selected) { community.value = "0"; }
    });
  }
  if (district) { district.addEventListener("change", showCommunities); showCommunities(); }
})();
