/* Keyboard work on the queue pages (triage, agency, publishing); the keys are listed on each
   page under "Phím tắt". J/K or the arrow keys move, Enter opens, N takes the open report,
   "/" jumps to the search box, Esc goes back to the queue. Typing in a field is never hijacked. */
window.iocQueue = (function () {
  var GRIDS = ["triage-grid", "agency-grid", "publish-grid"];

  function byDue(a, b, nodeA, nodeB) {
    var x = nodeA && nodeA.data ? nodeA.data.due_in : null;
    var y = nodeB && nodeB.data ? nodeB.data.due_in : null;
    if (x === y) { return 0; }
    if (x === null || x === undefined) { return 1; }
    if (y === null || y === undefined) { return -1; }
    return x - y;
  }
  function bySubmitted(a, b, nodeA, nodeB) {
    var x = nodeA && nodeA.data ? nodeA.data.submitted_at || "" : "";
    var y = nodeB && nodeB.data ? nodeB.data.submitted_at || "" : "";
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function gridId() {
    for (var i = 0; i < GRIDS.length; i++) {
      if (document.getElementById(GRIDS[i])) { return GRIDS[i]; }
    }
    return null;
  }
  function api(id) {
    try { return window.dash_ag_grid && dash_ag_grid.getApi(id); } catch (e) { return null; }
  }
  function typing(target) {
    if (!target) { return false; }
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function move(grid, step) {
    var count = grid.getDisplayedRowCount();
    if (!count) { return; }
    var focused = grid.getFocusedCell();
    var index = focused ? focused.rowIndex + step : 0;
    index = Math.max(0, Math.min(count - 1, index));
    var column = focused ? focused.column : grid.getAllDisplayedColumns()[0];
    grid.ensureIndexVisible(index);
    grid.setFocusedCell(index, column);
  }
  function open(grid, id) {
    // a real click on the focused row: the grid reports it (cellClicked) and selects the row
    var focused = grid.getFocusedCell();
    var root = document.getElementById(id);
    if (!focused || !root) { return; }
    var cell = root.querySelector('.ag-row[row-index="' + focused.rowIndex + '"] .ag-cell');
    if (cell) { cell.click(); }
  }
  function click(selector) {
    var button = document.querySelector(selector);
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var id = gridId();
    if (!id) { return; }
    if (event.key === "Escape") {
      if (typing(event.target)) { event.target.blur(); }
      var g = api(id);
      if (g) { var f = g.getFocusedCell(); move(g, 0); if (!f) { g.setFocusedCell(0, g.getAllDisplayedColumns()[0]); } }
      return;
    }
    if (typing(event.target)) { return; }
    var inGrid = event.target.closest && event.target.closest(".ag-root-wrapper");
    var grid = api(id);
    switch (event.key) {
      case "j": case "J":
        if (grid) { move(grid, 1); event.preventDefault(); } break;
      case "k": case "K":
        if (grid) { move(grid, -1); event.preventDefault(); } break;
      case "ArrowDown":
        if (grid && !inGrid) { move(grid, 1); event.preventDefault(); } break;
      case "ArrowUp":
        if (grid && !inGrid) { move(grid, -1); event.preventDefault(); } break;
      case "Enter": case "o":
        if (grid && (inGrid || event.key === "o" || !event.target.closest("button,a,summary"))) {
          open(grid, id); event.preventDefault();
        }
        break;
      case "n": case "N":
        if (click(".js-take")) { event.preventDefault(); } break;
      case "/":
        var search = document.getElementById(id.replace("-grid", "-f-text"));
        if (search) { search.focus(); event.preventDefault(); } break;
    }
  });

  return {byDue: byDue, bySubmitted: bySubmitted};
})();
window.dashAgGridFunctions = Object.assign(window.dashAgGridFunctions || {},
  {queueByDue: window.iocQueue.byDue, queueBySubmitted: window.iocQueue.bySubmitted});
