/* Map functions for dash-leaflet, referenced from Python as {"variable": "iocMap.<name>"}. */
window.iocMap = (function () {
  var SLA = ["overdue", "overdue_notified", "at_risk", "on_time", "none"];
  // a 4K wall at 100 % zoom has twice the CSS pixels of a 1080p one: symbols grow with it
  function scale() { return Math.max(1, Math.min(2.5, window.innerWidth / 1920)); }
  function pointToLayer(feature, latlng, context) {
    var p = feature.properties || {};
    var selected = context && context.hideout && context.hideout.selected === p.code;
    var size = Math.round((p.emergency ? 18 : 12) * scale());
    if (selected) { size += 8; }
    var icon = L.divIcon({
      className: "", iconSize: [size, size],
      html: '<div class="sla-marker sla-' + (p.sla || "none") + (p.emergency ? " emergency" : "") +
            '" style="width:' + size + 'px;height:' + size + 'px' +
            (selected ? ';outline:3px solid #1d4ed8' : '') + '"></div>'
    });
    var marker = L.marker(latlng, {icon: icon, keyboard: false, title: p.code});
    return marker;
  }
  function clusterToLayer(feature, latlng, index, context) {
    var count = feature.properties.point_count;
    var leaves = index.getLeaves(feature.properties.cluster_id, Infinity);
    var n = {overdue: 0, overdue_notified: 0, at_risk: 0, on_time: 0, none: 0}, emergency = false;
    for (var i = 0; i < leaves.length; i++) {
      var lp = leaves[i].properties;
      n[lp.sla in n ? lp.sla : "none"] += 1;
      if (lp.emergency) { emergency = true; }
    }
    var colours = {overdue: "#dc2626", overdue_notified: "#9333ea", at_risk: "#f59e0b",
                   on_time: "#16a34a", none: "#64748b"};
    var stops = [], acc = 0;
    SLA.forEach(function (k) {
      if (!n[k]) { return; }
      var from = acc / count * 360; acc += n[k]; var to = acc / count * 360;
      stops.push(colours[k] + " " + from.toFixed(1) + "deg " + to.toFixed(1) + "deg");
    });
    var size = Math.round((30 + Math.min(34, Math.log(count + 1) * 6)) * scale());
    var label = count >= 1000 ? (count / 1000).toFixed(1).replace(".", ",") + "k" : String(count);
    var icon = L.divIcon({
      className: "", iconSize: [size, size],
      html: '<div class="cluster-icon' + (emergency ? ' has-emergency' : '') + '" style="width:' +
            size + 'px;height:' + size + 'px;font-size:' + Math.round(12 * scale()) +
            'px;background:conic-gradient(' + stops.join(",") +
            ')"><span>' + label + '</span></div>'
    });
    return L.marker(latlng, {icon: icon, title: count + " phản ánh"});
  }
  function ramp(v, dark) {
    var stops = dark ? ["#1e293b", "#1e3a8a", "#7c3aed", "#db2777", "#f97316"]
                     : ["#f1f5f9", "#bfdbfe", "#60a5fa", "#f59e0b", "#dc2626"];
    var i = Math.max(0, Math.min(stops.length - 1, Math.floor(v * (stops.length - 0.001))));
    return stops[i];
  }
  // Places: the boundaries route's features are the province, its areas and its units; the
  // hideout's level ("area" or "unit", from the zoom) says which of areas and units show.
  function placeFilter(feature, context) {
    var h = (context && context.hideout) || {};
    var kind = (feature.properties || {}).kind;
    return kind === "province" || kind === (h.level === "unit" ? "unit" : "area");
  }
  function cellOf(p, h) {
    return ((p.kind === "unit" ? h.units : h.values) || {})[p.code];
  }
  function placeStyle(feature, context) {
    var h = (context && context.hideout) || {};
    var p = feature.properties || {};
    if (p.kind === "province") {
      return {color: h.dark ? "#e2e8f0" : "#334155", weight: 2.5, fill: false, interactive: false};
    }
    var cell = cellOf(p, h);
    var hasValue = h.mode && h.mode !== "none" && cell;
    var unit = p.kind === "unit";
    return {color: h.dark ? "#64748b" : "#94a3b8", weight: unit ? 0.8 : 1.2, dashArray: "",
            fillColor: hasValue ? ramp(cell.v, h.dark) : (h.dark ? "#0f172a" : "#f8fafc"),
            fillOpacity: hasValue ? 0.55 : (unit ? 0.25 : 0.35)};
  }
  // a small note on the map while the unit boundaries drawn are approximate ones
  function approximateNote(map, text, show) {
    if (!map || !text) { return; }
    if (show && !map._iocApproximate) {
      var note = L.control({position: "bottomright"});
      note.onAdd = function () {
        var div = L.DomUtil.create("div", "approx-note");
        div.textContent = text;
        return div;
      };
      map._iocApproximate = note.addTo(map);
    } else if (!show && map._iocApproximate) {
      map._iocApproximate.remove();
      map._iocApproximate = null;
    }
  }
  function placeTooltip(feature, layer, context) {
    var p = feature.properties || {};
    var h = (context && context.hideout) || {};
    if (p.kind === "area" || p.kind === "unit") {
      approximateNote(context && context.map, h.note, p.kind === "unit" && !!p.approximate);
      layer.bindTooltip(function () {
        var now = (context && context.hideout) || {};
        var cell = cellOf(p, now);
        return cell ? cell.label : (p.name || "");
      }, {sticky: true});
    }
  }
  // the place layer's hideout (clientside callbacks of dashboard/callbacks/maps.py): the
  // choropleth's values ({mode, values, units}), the level from the zoom or the page's toggle;
  // a pan or a zoom that keeps the level changes nothing (the layer is not drawn again)
  function levelHideout(choropleth, zoom, toggle, unitZoom, dark, note, current) {
    var v = choropleth || {};
    var level = toggle === "unit" || (zoom || 0) >= unitZoom ? "unit" : "area";
    var dc = window.dash_clientside || {};
    var fired = (dc.callback_context || {}).triggered || [];
    var zoomOnly = fired.length > 0 && fired.every(function (t) {
      return /\.zoom$/.test(t.prop_id || "");
    });
    if (zoomOnly && current && current.level === level && dc.no_update !== undefined) {
      return dc.no_update;
    }
    return {mode: v.mode || "none", values: v.values || {}, units: v.units || {},
            dark: !!dark, level: level, note: note};
  }
  function newToLayer(feature, latlng) {
    var p = feature.properties || {};
    var icon = L.divIcon({className: "", iconSize: [26, 26],
      html: '<div class="new-marker' + (p.emergency ? ' emergency' : '') + '"></div>'});
    return L.marker(latlng, {icon: icon, keyboard: false, title: p.code + " (mới)",
                             zIndexOffset: 1000});
  }
  return {pointToLayer: pointToLayer, clusterToLayer: clusterToLayer, newToLayer: newToLayer,
          placeStyle: placeStyle, placeFilter: placeFilter, placeTooltip: placeTooltip,
          levelHideout: levelHideout};
})();

