// Registry forms: show only the fields that apply to the current choice.
// The server validates and clears the others; without JavaScript every field shows.
(function () {
  function applies(form, rule) {
    var parts = rule.split("=");
    var input = form.elements[parts[0]];
    if (!input) { return true; }
    var value = input.type === "checkbox" ? (input.checked ? "on" : "") : input.value;
    return parts[1].split(",").indexOf(value) !== -1;
  }
  function refresh(form) {
    form.querySelectorAll("[data-cc-show-when]").forEach(function (el) {
      el.classList.toggle("d-none", !applies(form, el.dataset.ccShowWhen));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-cc-show-when]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
  });
})();
