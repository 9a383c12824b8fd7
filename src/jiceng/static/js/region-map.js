/* Region map: boundaries from the page's GeoJSON endpoint drawn on a plain background.
 * No tile layer (the product runs on intranets). Data comes from data-* attributes so no
 * inline script is needed (CSP-friendly). */
(function () {
  "use strict";

  // Neighbouring grids get different colours; nodes above the deepest level are outlines.
  var PALETTE = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d"];

  function styleFor(p, deepest, index) {
    if (p.self) {
      return { color: "#111827", weight: 2.5, dashArray: "6 4", fill: false };
    }
    if (p.level !== deepest) {
      return { color: "#475569", weight: 2, fillColor: "#94a3b8", fillOpacity: 0.05 };
    }
    var colour = PALETTE[index % PALETTE.length];
    return { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.22 };
  }

  function showEmpty(el) {
    el.classList.add("map-empty");
    el.textContent = el.dataset.emptyText || "";
  }

  function draw(el, collection) {
    var features = (collection && collection.features) || [];
    if (!features.length) {
      showEmpty(el);
      return;
    }
    // Self first, then by level so the deepest grids lie on top and take the clicks.
    features.sort(function (a, b) {
      var sa = a.properties.self ? 0 : 1, sb = b.properties.self ? 0 : 1;
      return sa - sb || a.properties.level - b.properties.level;
    });
    var deepest = 0;
    features.forEach(function (f) {
      if (!f.properties.self && f.properties.level > deepest) { deepest = f.properties.level; }
    });

    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
    if (window.jicengDeclutter) { window.jicengDeclutter(map); }
    L.control.scale({ imperial: false }).addTo(map);
    var group = L.featureGroup().addTo(map);

    var leafIndex = 0;
    // Names stay on the map while they fit; with many grids they show on hover instead.
    var leafCount = features.filter(function (f) { return !f.properties.self && f.properties.level === deepest; }).length;
    var labelsFit = leafCount <= 15;
    features.forEach(function (feature) {
      var p = feature.properties;
      var style = styleFor(p, deepest, leafIndex);
      if (!p.self && p.level === deepest) { leafIndex += 1; }
      var layer = L.geoJSON(feature, { interactive: !p.self, style: style });
      if (!p.self) {
        var label = p.name + "（" + p.level_label + "）";
        layer.bindTooltip(p.level === deepest ? p.name : label, {
          permanent: labelsFit && p.level === deepest, direction: "center", className: "grid-label",
          sticky: !(labelsFit && p.level === deepest)
        });
        layer.on("click", function () { window.location.assign(p.url); });
        layer.on("mouseover", function (e) { e.layer.setStyle({ weight: 3, fillOpacity: 0.35 }); });
        layer.on("mouseout", function (e) { layer.resetStyle(e.layer); });
      }
      layer.addTo(group);
    });
    map.fitBounds(group.getBounds(), { padding: [16, 16] });
    el.dataset.features = String(features.length);
    el.classList.add("map-ready");
  }

  function init() {
    var el = document.getElementById("region-map");
    if (!el || typeof L === "undefined") { return; }
    fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) { draw(el, data); })
      .catch(function () { showEmpty(el); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
