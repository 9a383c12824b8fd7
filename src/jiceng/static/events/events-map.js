/* Events maps, no tile layer, no inline script (CSP): the console's map of open cases coloured by
 * state with overdue ringed in red, or bubbles per region where there are too many to draw (data
 * from data-url, asked again for the view when it moves), and the report forms' location picker
 * (a click fills the longitude/latitude inputs named by data-lng / data-lat), and the case page's
 * map of where the case is. */
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

  // The console's map. Up to the server's limit the open cases in view come as points; beyond it as
  // bubbles per region (count, overdue count, the box their cases span). Moving or zooming the map
  // asks again for what is in view, unless every case of the view is already drawn.
  function consoleMap(el) {
    var map = null, layer = null, loaded = null, timer = null;
    var note = document.getElementById(el.dataset.note || "");
    var text = function (key, values) {
      var t = el.dataset[key] || "";
      Object.keys(values || {}).forEach(function (k) { t = t.split("{" + k + "}").join(values[k]); });
      return t;
    };
    var address = function (bounds) {
      // as many bubbles as the map has room for, one per 70 × 70 pixels
      var room = Math.max(4, Math.min(400, Math.floor(el.clientWidth / 70) * Math.floor(el.clientHeight / 70)));
      var u = el.dataset.url + (el.dataset.url.indexOf("?") < 0 ? "?" : "&") + "bubbles=" + room;
      return bounds ? u + "&bbox=" + bounds.toBBoxString() : u;
    };
    var listUrl = function (region) {
      var u = new URL(el.dataset.listUrl || window.location.pathname, window.location.href);
      u.searchParams.set("region", region);
      u.searchParams.delete("page");
      return u.pathname + u.search;
    };

    function caseMarker(f, crowded) {
      var p = f.properties, c = f.geometry.coordinates;
      var marker = L.circleMarker([c[1], c[0]], {
        radius: crowded ? (p.overdue ? 5 : 4) : (p.overdue ? 9 : 7), color: p.overdue ? "#dc2626" : "#fff",
        weight: p.overdue ? (crowded ? 2 : 3) : 1, fillColor: COLOURS[p.state] || "#111827", fillOpacity: 0.9
      });
      marker.bindTooltip(p.number + " " + p.title + "（" + p.state_label + (p.overdue ? text("overdueText") : "") + "）");
      marker.on("click", function () { window.location.href = p.url; });
      return marker;
    }

    var sizeOf = function (n) { return Math.round(26 + 10 * Math.log10(Math.max(1, n))); };

    // Bubbles that would cover each other at this zoom are drawn as one (the largest first takes in
    // its neighbours), its figures the sums of theirs.
    function merged(features) {
      var items = features.map(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        return { names: [p.name], region: p.region, count: p.count, overdue: p.overdue, lng: c[0] * p.count,
                 lat: c[1] * p.count, box: L.latLngBounds([p.bounds[1], p.bounds[0]], [p.bounds[3], p.bounds[2]]) };
      }).sort(function (a, b) { return b.count - a.count; });
      var out = [];
      items.forEach(function (it) {
        var at = map.latLngToContainerPoint([it.lat / it.count, it.lng / it.count]);
        var host = null;
        out.forEach(function (o) {
          if (host) { return; }
          var there = map.latLngToContainerPoint([o.lat / o.count, o.lng / o.count]);
          if (at.distanceTo(there) < (sizeOf(o.count) + sizeOf(it.count)) / 2) { host = o; }
        });
        if (!host) { out.push(it); return; }
        host.names.push(it.names[0]);
        host.region = null;
        host.count += it.count; host.overdue += it.overdue; host.lng += it.lng; host.lat += it.lat;
        host.box.extend(it.box);
      });
      return out;
    }

    function bubble(g) {
      var size = sizeOf(g.count), where = [g.lat / g.count, g.lng / g.count];
      var html = '<span class="ev-bubble-n"></span>' + (g.overdue ? '<span class="ev-bubble-o"></span>' : "");
      var name = g.names.length > 1 ? text("manyText", { name: g.names[0], n: g.names.length }) : g.names[0];
      var marker = L.marker(where, {
        icon: L.divIcon({ className: "ev-bubble" + (g.overdue ? " has-overdue" : ""), html: html,
                          iconSize: [size, size] }),
        keyboard: true, title: name
      });
      marker.on("add", function () {  // text content, never markup from data
        var node = marker.getElement();
        node.querySelector(".ev-bubble-n").textContent = g.count;
        var o = node.querySelector(".ev-bubble-o");
        if (o) { o.textContent = g.overdue; }
      });
      var summary = text("groupText", { name: name, count: g.count, overdue: g.overdue });
      marker.bindTooltip(summary);
      marker.on("click", function () {
        map.fitBounds(g.box.pad(0.15), { maxZoom: 17, animate: false });
        if (!g.region) { return; }  // several regions: the zoom parts them
        var popup = document.createElement("div");
        popup.textContent = summary + " ";
        var link = document.createElement("a");
        link.href = listUrl(g.region);
        link.textContent = text("listText");
        popup.appendChild(link);
        L.popup({ autoPan: false }).setLatLng(where).setContent(popup).openOn(map);
      });
      return marker;
    }

    function draw(data, fit) {
      var features = data.features || [];
      if (!map) {
        if (!features.length) {
          el.classList.add("map-empty");
          el.textContent = el.dataset.emptyText || "";
          return;
        }
        map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
        if (window.jicengDeclutter) { window.jicengDeclutter(map); }
        L.control.scale({ imperial: false }).addTo(map);
      }
      if (fit && features.length) {
        var all = L.latLngBounds(features.map(function (f) {
          var c = f.geometry.coordinates;
          return [c[1], c[0]];
        }));
        map.fitBounds(all.pad(0.1), { maxZoom: 15, animate: false });
      }
      var next = L.featureGroup();
      if (data.mode === "groups") {
        merged(features).forEach(function (g) { bubble(g).addTo(next); });
      } else {
        var crowded = features.length > 300;
        features.forEach(function (f) { caseMarker(f, crowded).addTo(next); });
      }
      if (layer) { map.removeLayer(layer); }
      layer = next.addTo(map);
      el.dataset.mode = data.mode;
      if (note) {
        note.textContent = data.mode === "groups" ? text("noteText", { total: data.total, limit: data.limit }) : "";
        note.hidden = data.mode !== "groups";
      }
    }

    function load(bounds, fit) {
      return fetch(address(bounds), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          draw(data, fit);
          loaded = { mode: data.mode, bounds: bounds };
        });
    }

    function moved() {
      // every case of a wider view is already on the map: nothing to ask
      if (loaded && loaded.mode === "points" && (!loaded.bounds || loaded.bounds.contains(map.getBounds()))) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () { load(map.getBounds().pad(0.1), false); }, 250);
    }

    load(null, true).then(function () {
      if (!map) { return; }
      map.on("moveend", moved);
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
    if (window.jicengDeclutter) { window.jicengDeclutter(map); }
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
    // A grid worker's own grids, outlined and named: readable at street level, where the
    // communities' outlines are a line or two.
    if (el.dataset.ownUrl) {
      fetch(el.dataset.ownUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.features || !data.features.length) { return; }
          L.geoJSON(data, {
            interactive: false, style: { color: "#2563eb", weight: 2, fillColor: "#dbeafe", fillOpacity: 0.25 },
            onEachFeature: function (f, layer) {
              layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "grid-label own-label" });
            }
          }).addTo(map);
        })
        .catch(function () { return null; });
    }
    // Where the point falls: zoom to it and name its street, community and grid (or say it lies
    // outside the county), so a tap meant for one address is not filed silently in the next grid.
    var where = document.getElementById("pick-where"), asked = 0, settleTimer = null;
    var settle = function (y, x) {
      map.setView([y, x], Math.max(map.getZoom(), 16));
      if (!where || !el.dataset.locateUrl) { return; }
      var mine = ++asked;
      var url = el.dataset.locateUrl + "?" + new URLSearchParams({ lng: x.toFixed(6), lat: y.toFixed(6) }).toString();
      where.dataset.state = "asking";
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (mine !== asked) { return; }  // a later point was asked for meanwhile
          where.textContent = data ? data.text : "";
          where.classList.toggle("ev-where-out", !!data && !data.inside);
          where.dataset.state = data ? (data.inside ? "inside" : "outside") : "";
        })
        .catch(function () { if (mine === asked) { where.textContent = ""; where.dataset.state = ""; } });
    };
    var place = function (y, x) {
      lng.value = x.toFixed(6);
      lat.value = y.toFixed(6);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.marker([y, x]).addTo(map); }
      settle(y, x);
    };
    // "Where I stand": the phone's position (browsers give it on HTTPS or localhost only).
    var locate = document.getElementById("pick-locate"), locateNote = document.getElementById("pick-locate-note");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        locate.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          locate.disabled = false;
          if (locateNote) { locateNote.textContent = ""; }
          map.setView([pos.coords.latitude, pos.coords.longitude], 17);
          place(pos.coords.latitude, pos.coords.longitude);
        }, function () {
          locate.disabled = false;
          if (locateNote) { locateNote.textContent = el.dataset.locateError || ""; }
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    // Typed coordinates move the marker too.
    var typed = function () {
      var x = parseFloat(lng.value), y = parseFloat(lat.value);
      if (!isFinite(x) || !isFinite(y) || Math.abs(x) > 180 || Math.abs(y) > 90) { return; }
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.marker([y, x]).addTo(map); }
      clearTimeout(settleTimer);
      settleTimer = setTimeout(function () { settle(y, x); }, 500);  // once the typing pauses
    };
    if (chosen && isFinite(chosen[0]) && isFinite(chosen[1])) { settle(chosen[0], chosen[1]); }
    lng.addEventListener("input", typed);
    lat.addEventListener("input", typed);
    // a click places the point (and lets the page react: the report page asks for open cases nearby)
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
  }

  // The case page: where it was reported (a red dot) in its grid (outlined in blue), over the
  // communities' outlines.
  function spotMap(el) {
    var y = parseFloat(el.dataset.lat), x = parseFloat(el.dataset.lng);
    if (!isFinite(x) || !isFinite(y)) { return; }
    var map = L.map(el, { attributionControl: false, scrollWheelZoom: false });
    if (window.jicengDeclutter) { window.jicengDeclutter(map); }
    L.control.scale({ imperial: false }).addTo(map);
    var view = L.latLngBounds([y, x], [y, x]);
    var source = document.getElementById(el.dataset.grid || "");
    var grid = null;
    try { grid = source ? JSON.parse(source.textContent) : null; } catch (e) { grid = null; }
    if (grid) {
      var layer = L.geoJSON(grid, {
        interactive: false, style: { color: "#2563eb", weight: 2, fillColor: "#dbeafe", fillOpacity: 0.25 }
      }).addTo(map);
      view.extend(layer.getBounds());
    }
    map.fitBounds(view, { padding: [16, 16], maxZoom: 17, animate: false });
    L.circleMarker([y, x], { radius: 7, color: "#991b1b", weight: 2, fillColor: "#ef4444", fillOpacity: 0.9 }).addTo(map);
    var ready = function () { el.classList.add("map-ready"); };
    if (el.dataset.outlineUrl) {
      drawOutline(map, el.dataset.outlineUrl, { color: "#94a3b8", weight: 1, fillColor: "#f1f5f9", fillOpacity: 0.4 })
        .then(function (outline) { if (outline) { outline.bringToBack(); } ready(); });
    } else {
      ready();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L === "undefined") { return; }
    var el = document.getElementById("events-map");
    if (el) { consoleMap(el); }
    var spot = document.getElementById("case-map");
    if (spot) { spotMap(spot); }
    var pick = document.getElementById("pick-map");
    if (pick) { picker(pick); }
  });
})();
