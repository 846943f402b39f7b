/* Public results map: one dot per published answer (the filters of the page), popups as DOM. */
(function () {
  "use strict";
  var element = document.getElementById("results-map");
  if (!element || !window.IOCMap) { return; }
  var base = window.IOCMap.baseMap(element, { canvas: true });
  if (!base) { return; }
  var L = window.L, text = base.text, map = base.map;
  var day = new Intl.DateTimeFormat("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric" });
  var detail = element.getAttribute("data-detail");

  function popup(p) {
    var box = document.createElement("div");
    box.className = "popup";
    box.appendChild(text("h3", p.f || "Phản ánh hiện trường"));
    box.appendChild(text("p", p.c + " · trả lời " + day.format(new Date(p.d))));
    box.appendChild(text("p", p.t));
    var link = text("a", "Xem nội dung và kết quả");
    link.href = detail + encodeURIComponent(p.c);
    box.appendChild(link);
    return box;
  }

  Promise.all([base.ready, fetch(element.getAttribute("data-points"), { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })])
    .then(function (parts) {
      var data = parts[1];
      if (!data || !data.features.length) { return; }
      map.createPane("points").style.zIndex = 660;  // above the area names
      var renderer = L.canvas({ pane: "points" });
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            pane: "points", renderer: renderer, radius: 8, color: "#ffffff", weight: 2,
            fillColor: "#136c3a", fillOpacity: 0.95
          });
        },
        onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
      }).addTo(map);
      if (data.features.length <= 50) {
        map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 13, animate: false });
      }
      element.setAttribute("data-points-loaded", String(data.features.length));
    })
    .catch(function () { /* the list below is the content; the map is a help */ });
})();
