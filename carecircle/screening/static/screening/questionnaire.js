// The pupils' questionnaire (/q/). Everything works without this file except the
// QR code's #CODE; no inline scripts anywhere, since the CSP forbids them.
(function () {
  "use strict";

  // One submission per form: a double tap or an impatient second tap posts once.
  // The buttons are disabled after the submit event, or the pressed button's
  // name=value (next / back / leave) would be left out of the form data.
  function once(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }

  // A page restored from the back/forward cache must be usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  // The printed slip's QR code opens /q/#CODE: browsers never send the fragment, so
  // the code reaches no server log. Fill the form, drop the fragment from the address
  // bar and history, and submit.
  function fromFragment(form) {
    var code = "";
    try { code = decodeURIComponent(window.location.hash.replace(/^#/, "")); } catch (e) { return; }
    if (!/^[0-9A-Za-z\- ]{4,40}$/.test(code)) { return; }
    form.elements.code.value = code;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-once]").forEach(once);
    var codeForm = document.getElementById("cc-code-form");
    if (codeForm && window.location.hash.length > 1) { fromFragment(codeForm); }
  });
})();
