/* 常用语: a click on a response template's button fills the note of its own form (no inline
 * script: CSP). The text travels in data-text, escaped by the template like any other text. */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest(".ev-tpl") : null;
    if (!button) { return; }
    var note = button.form ? button.form.querySelector("textarea[name=note]") : null;
    if (!note) { return; }
    note.value = button.dataset.text || "";
    note.focus();
  });
})();
