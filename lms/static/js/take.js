// Taking a test: every answer is sent as it is given; while the phone is offline answers wait
// in localStorage and are sent when the connection returns. No answer key ever reaches here.
(function () {
  "use strict";
  var form = document.getElementById("test-form");
  if (!form) { return; }
  var saveUrl = form.getAttribute("data-save-url");
  var storageKey = "lms-test-" + form.getAttribute("data-attempt");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var items = Array.prototype.slice.call(form.querySelectorAll(".test-item"));
  var offlineBadge = document.querySelector("[data-offline]");
  var errorBox = document.querySelector("[data-error]");
  var sending = {};

  function pending() {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || "{}"); } catch (e) { return {}; }
  }
  function keep(all) { window.localStorage.setItem(storageKey, JSON.stringify(all)); }

  function chosen(item) {
    return Array.prototype.slice.call(item.querySelectorAll("input:checked")).map(function (input) {
      return parseInt(input.value, 10);
    });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-none", !message);
  }

  function progress() {
    var answered = items.filter(function (item) { return chosen(item).length > 0; }).length;
    document.querySelector("[data-answered]").textContent = answered;
    document.querySelector("[data-progress-bar]").style.width = (100 * answered / (items.length || 1)) + "%";
  }

  // One request at a time per question, each sending the latest answer still waiting, so a
  // quick change of mind cannot arrive before the answer it replaces.
  function send(questionId) {
    var previous = sending[questionId] || Promise.resolve();
    var request = previous.then(function () {
      var choiceIds = pending()[questionId];
      if (!choiceIds) { return; }
      return fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ question_id: parseInt(questionId, 10), choice_ids: choiceIds })
      }).then(function (response) {
        offlineBadge.classList.add("d-none");
        if (response.ok) {
          var all = pending();
          if (JSON.stringify(all[questionId]) === JSON.stringify(choiceIds)) { delete all[questionId]; keep(all); }
          showError("");
          return;
        }
        return response.json().catch(function () { return {}; }).then(function (body) {
          showError(body && body.error ? body.error.message : response.statusText);
          if (response.status === 409 || response.status === 422 || response.status === 404) {
            var all = pending(); delete all[questionId]; keep(all);
          }
        });
      }).catch(function () {
        offlineBadge.classList.remove("d-none");
      });
    });
    sending[questionId] = request;
    return request;
  }

  function flush() {
    var all = pending();
    return Promise.all(Object.keys(all).map(send));
  }

  form.addEventListener("change", function (event) {
    var item = event.target.closest(".test-item");
    if (!item) { return; }
    var questionId = item.getAttribute("data-question");
    var all = pending();
    all[questionId] = chosen(item);
    keep(all);
    progress();
    send(questionId);
  });

  // Answers given while offline (even before a power cut) are shown again and sent.
  var waiting = pending();
  items.forEach(function (item) {
    var ids = waiting[item.getAttribute("data-question")];
    if (!ids) { return; }
    item.querySelectorAll("input").forEach(function (input) {
      input.checked = ids.indexOf(parseInt(input.value, 10)) !== -1;
    });
  });
  progress();
  flush();
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { offlineBadge.classList.remove("d-none"); });

  form.addEventListener("submit", function (event) {
    if (Object.keys(pending()).length === 0) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    flush().then(function () {
      if (Object.keys(pending()).length > 0) {
        showError(form.getAttribute("data-unsent-message"));
      } else if (window.confirm(form.querySelector("[data-submit]").getAttribute("data-confirm"))) {
        form.submit();
      }
    });
  });

  if (form.getAttribute("data-mode") === "one" && items.length > 1) {
    var current = 0;
    var show = function (index) {
      current = Math.max(0, Math.min(items.length - 1, index));
      items.forEach(function (item, i) { item.classList.toggle("d-none", i !== current); });
      window.scrollTo(0, 0);
    };
    items.forEach(function (item, i) {
      var buttons = item.querySelector("[data-step-buttons]");
      buttons.classList.remove("d-none");
      buttons.querySelector("[data-prev]").disabled = i === 0;
      buttons.querySelector("[data-next]").classList.toggle("invisible", i === items.length - 1);
      buttons.querySelector("[data-prev]").addEventListener("click", function () { show(current - 1); });
      buttons.querySelector("[data-next]").addEventListener("click", function () { show(current + 1); });
    });
    var firstUnanswered = items.findIndex(function (item) { return chosen(item).length === 0; });
    show(firstUnanswered === -1 ? items.length - 1 : firstUnanswered);
  }
})();
