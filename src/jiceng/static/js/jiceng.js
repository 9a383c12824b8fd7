/* Site-wide behaviour, no inline script (CSP). A link with data-busy (an Excel export of 50,000
 * residents takes a while before its download starts) says so until the file arrives — every
 * download sets a fresh jiceng_download cookie (core/exports.py) — or the next page shows, and a
 * second click meanwhile does not ask again. */
(function () {
  "use strict";
  var downloaded = function () {
    var m = document.cookie.match(/(?:^|;\s*)jiceng_download=([^;]*)/);
    return m ? m[1] : "";
  };
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-busy]") : null;
    if (!el || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
    if (el.classList.contains("is-busy")) { e.preventDefault(); return; }
    var idle = el.textContent, before = downloaded(), started = Date.now(), timer = null;
    var done = function () {
      clearInterval(timer);
      el.classList.remove("is-busy");
      el.removeAttribute("aria-busy");
      el.textContent = idle;
    };
    el.classList.add("is-busy");
    el.setAttribute("aria-busy", "true");
    el.textContent = el.dataset.busy;
    timer = setInterval(function () {
      if (downloaded() !== before || Date.now() - started > 600000) { done(); }
    }, 500);
    window.addEventListener("pageshow", done, { once: true });  // back from the next page
  });
})();

/* A branch that loads when opened (details with hx-trigger="toggle once") and was opened before htmx
 * had run — a slow line shows the page first — fired its toggle with nobody listening: once htmx has
 * processed the page (its DOMContentLoaded handler runs before this one), ask again for those. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  /* A form sent back with errors says so at its top (#form-summary): bring that into view, so that on
   * a phone the resident does not land at the top of the page with the errors two screens down. */
  var summary = document.getElementById("form-summary");
  if (summary) { summary.focus(); summary.scrollIntoView({ block: "start" }); }
  if (!window.htmx) { return; }
  document.querySelectorAll('details[open][hx-trigger^="toggle"]').forEach(function (el) {
    window.htmx.trigger(el, "toggle");
  });
});

/* Map labels that would cover each other (grids' and communities' names drawn on the map as permanent
 * tooltips, class grid-label): after each move or zoom, the first of two overlapping labels stays and
 * the other is hidden until a zoom gives it room — own grids' labels (own-label) go first. */
window.jicengDeclutter = function (map) {
  "use strict";
  var pass = function () {
    var root = map.getContainer();
    var labels = Array.prototype.slice.call(root.querySelectorAll(".leaflet-tooltip.grid-label"));
    labels.sort(function (a, b) {
      return (b.classList.contains("own-label") ? 1 : 0) - (a.classList.contains("own-label") ? 1 : 0);
    });
    var shown = [];
    labels.forEach(function (el) {
      el.classList.remove("label-crowded");
      var r = el.getBoundingClientRect();
      if (!r.width && !r.height) { return; }  // not displayed (names off at this zoom)
      var hit = shown.some(function (s) {
        return r.left < s.right + 2 && r.right > s.left - 2 && r.top < s.bottom + 2 && r.bottom > s.top - 2;
      });
      if (hit) { el.classList.add("label-crowded"); } else { shown.push(r); }
    });
    root.dataset.labelsShown = String(shown.length);
    root.dataset.labelsHidden = String(labels.length - shown.length);
  };
  var soon = null;
  var later = function () { clearTimeout(soon); soon = setTimeout(pass, 50); };
  map.on("zoomend moveend resize layeradd", later);
  later();
  return pass;
};
