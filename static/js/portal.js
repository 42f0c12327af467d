// Small behaviours shared by every page. No framework: Bootstrap and htmx are loaded before this.
(function () {
  "use strict";
  // The language switch submits as soon as a language is picked.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A form marked data-confirm asks first (removing a member, for instance).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  });
  // A form marked data-once disables its buttons on submit, so a double click posts once.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
