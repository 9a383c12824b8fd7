/* Events maps, no tile layer, no inline script (CSP): the console's map of open cases coloured by
 * state with overdue ringed in red (data from data-url), and the report forms' location picker
 * (a click fills the longitude/latitude inputs named by data-lng / data-lat). */
(function () {
  "use strict";

  var COLOURS = {
    pending: "#6b7280", registered: "#6b7280", returned: "#d97706", ruling: "#d97706",
    dispatched: "#2563eb", signed: "#2563eb", handling: "#7c3aed", to_verify: "#059669", suspended: "#9ca3af"
  };

  // The communities' outlines and names (public, cached): the only base map offline.
  function drawOutline(map, url, style) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features || !data.features.length) { return null; }
        return L.geoJSON(data, {
          interactive: false, style: style,
          onEachFeature: function (f, layer) {
            layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "grid-label" });
          }
        }).addTo(map);
      })
      .catch(function () { return null; });
  }

  function consoleMap(el) {
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var features = data.features || [];
        var note = document.getElementById(el.dataset.note || "");
        if (note && data.total > features.length) {
          note.textContent = (el.dataset.noteText || "").replace("{shown}", features.length).replace("{total}", data.total);
          note.hidden = false;
        }
        if (!features.length) {
          el.classList.add("map-empty");
          el.textContent = el.dataset.emptyText || "";
          return;
        }
        var map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
        L.control.scale({ imperial: false }).addTo(map);
        var crowded = features.length > 300;
        var group = L.featureGroup().addTo(map);
        features.forEach(function (f) {
          var p = f.properties, c = f.geometry.coordinates;
          var marker = L.circleMarker([c[1], c[0]], {
            radius: crowded ? (p.overdue ? 5 : 4) : (p.overdue ? 9 : 7), color: p.overdue ? "#dc2626" : "#fff",
            weight: p.overdue ? (crowded ? 2 : 3) : 1, fillColor: COLOURS[p.state] || "#111827", fillOpacity: 0.9
          });
          marker.bindTooltip(p.number + " " + p.title + "（" + p.state_label + (p.overdue ? "，超期" : "") + "）");
          marker.on("click", function () { window.location.href = p.url; });
          marker.addTo(group);
        });
        map.fitBounds(group.getBounds().pad(0.1), { maxZoom: 15, animate: false });
        var labels = function () { el.classList.toggle("ev-labels-off", map.getZoom() < 13); };
        map.on("zoomend", labels);
        labels();
        if (el.dataset.outlineUrl) {
          drawOutline(map, el.dataset.outlineUrl, { color: "#94a3b8", weight: 1, fillColor: "#f1f5f9", fillOpacity: 0.5 })
            .then(function (outline) { if (outline) { outline.bringToBack(); } el.classList.add("map-ready"); });
        } else {
          el.classList.add("map-ready");
        }
      });
  }

  function picker(el) {
    var lng = document.querySelector(el.dataset.lng), lat = document.querySelector(el.dataset.lat);
    if (!lng || !lat) { return; }
    var map = L.map(el, { attributionControl: false, scrollWheelZoom: false });
    L.control.scale({ imperial: false }).addTo(map);
    var chosen = lng.value && lat.value ? [parseFloat(lat.value), parseFloat(lng.value)] : null;
    var marker = chosen ? L.marker(chosen).addTo(map) : null;
    map.setView(chosen || [27.0, 118.5], chosen ? 15 : 9);
    // The communities' outlines and names stand in for a base map (none offline); the view opens on them.
    if (el.dataset.outlineUrl) {
      drawOutline(map, el.dataset.outlineUrl, { color: "#64748b", weight: 1, fillColor: "#e2e8f0", fillOpacity: 0.35 })
        .then(function (outline) {
          if (!outline) { return; }
          map.invalidateSize();
          // A grid worker's page opens on their own grids (data-bounds: west,south,east,north).
          var own = (el.dataset.bounds || "").split(",").map(parseFloat);
          var view = own.length === 4 && own.every(isFinite) ? L.latLngBounds([own[1], own[0]], [own[3], own[2]])
            : outline.getBounds();
          if (!chosen) { map.fitBounds(view, { padding: [8, 8], animate: false }); }
          // Names only once they can be read (a county view would bury the map under them).
          var labels = function () { el.classList.toggle("ev-labels-off", map.getZoom() < 13); };
          map.on("zoomend", labels);
          labels();
          el.classList.add("map-ready");
        });
    }
    // Typed coordinates move the marker too.
    var typed = function () {
      var x = parseFloat(lng.value), y = parseFloat(lat.value);
      if (!isFinite(x) || !isFinite(y) || Math.abs(x) > 180 || Math.abs(y) > 90) { return; }
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.marker([y, x]).addTo(map); }
    };
    lng.addEventListener("input", typed);
    lat.addEventListener("input", typed);
    map.on("click", function (e) {
      lng.value = e.latlng.lng.toFixed(6);
      lat.value = e.latlng.lat.toFixed(6);
      // let the page react (the report page asks for open cases nearby: "me too")
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L === "undefined") { return; }
    var el = document.getElementById("events-map");
    if (el) { consoleMap(el); }
    var pick = document.getElementById("pick-map");
    if (pick) { picker(pick); }
  });
})();
