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
  function districtStyle(feature, context) {
    var h = (context && context.hideout) || {};
    var p = feature.properties || {};
    if (p.kind === "province") {
      return {color: h.dark ? "#e2e8f0" : "#334155", weight: 2.5, fill: false, interactive: false};
    }
    var cell = (h.values || {})[p.code];
    var hasValue = h.mode && h.mode !== "none" && cell;
    return {color: h.dark ? "#64748b" : "#94a3b8", weight: 1.2, dashArray: "",
            fillColor: hasValue ? ramp(cell.v, h.dark) : (h.dark ? "#0f172a" : "#f8fafc"),
            fillOpacity: hasValue ? 0.55 : 0.35};
  }
  function districtTooltip(feature, layer, context) {
    var p = feature.properties || {};
    if (p.kind === "district") {
      layer.bindTooltip(function () {
        var h = (context && context.hideout) || {};
        var cell = (h.values || {})[p.code];
        return cell ? cell.label : (p.name || "");
      }, {sticky: true});
    }
  }
  function newToLayer(feature, latlng) {
    var p = feature.properties || {};
    var icon = L.divIcon({className: "", iconSize: [26, 26],
      html: '<div class="new-marker' + (p.emergency ? ' emergency' : '') + '"></div>'});
    return L.marker(latlng, {icon: icon, keyboard: false, title: p.code + " (mới)",
                             zIndexOffset: 1000});
  }
  return {pointToLayer: pointToLayer, clusterToLayer: clusterToLayer, newToLayer: newToLayer,
          districtStyle: districtStyle, districtTooltip: districtTooltip};
})();
