/* Shared base map of the portal: province and area outlines drawn as vector layers, so the
   map works with no tile server; tiles only when the server is configured with IOC_TILE_URL.
   No user content is ever given to Leaflet as HTML: labels and popups are DOM nodes. */
(function () {
  "use strict";
  var CENTER = [21.75, 105.9];

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (className) { node.className = className; }
    return node;
  }

  function baseMap(element, options) {
    if (!window.L || !element) { return null; }
    element.hidden = false;
    var tiles = element.getAttribute("data-tiles");
    var map = window.L.map(element, {
      zoomControl: true, attributionControl: Boolean(tiles), preferCanvas: Boolean(options && options.canvas),
      minZoom: 7, maxZoom: 18
    }).setView(CENTER, 8);
    element.iocMap = map;  // reachable from the page (tests place a tap at a known point)
    var far = function () { element.classList.toggle("far", map.getZoom() < 9); };
    map.on("zoomend", far);
    far();
    if (tiles) {
      window.L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    }
    var ready = fetch(element.getAttribute("data-boundaries"), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return null; }
        var province = window.L.geoJSON(data.province, {
          interactive: false,
          style: { color: "#0b4f8a", weight: 2.5, fillColor: "#ffffff", fillOpacity: tiles ? 0.05 : 0.85 }
        }).addTo(map);
        window.L.geoJSON(data.areas, {
          interactive: false,
          style: { color: "#6b7f93", weight: 1, dashArray: "4 4", fill: false },
          onEachFeature: function (feature, layer) {
            if (!tiles && feature.properties && feature.properties.name) {
              layer.bindTooltip(text("span", feature.properties.name), {
                permanent: true, direction: "center", className: "area-label", interactive: false
              });
            }
          }
        }).addTo(map);
        var bounds = province.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6], animate: false }); }
        return bounds;
      })
      .catch(function () { return null; });
    return { map: map, ready: ready, text: text };
  }

  window.IOCMap = { baseMap: baseMap, text: text };
})();
