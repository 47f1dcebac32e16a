/**
 * The report page's script, inlined into the HTML (no library, no network). It reads the
 * JSON in #data and draws a virtualised Gantt: only the rows in view exist in the DOM, so a
 * run of 10,000 steps opens as fast as one of ten. Plain ES2020, kept free of template
 * literals so that it can live in this string.
 */
export const TIMELINE_CLIENT = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var ROW_H = 22;
  var STATUS = { S: 'SUCCESS', F: 'FAIL', P: 'PROCESSING', C: 'CREATED' };
  var CLS = { S: 'ok', F: 'fail', P: 'running', C: 'created' };
  // row: [parent, depth, kind(0 step, 1 branch), name, type, status, start, end, critical, detail, segments]
  var rows = D.rows;
  var n = rows.length;
  var children = new Array(n);
  var top = [];
  for (var i = 0; i < n; i++) children[i] = [];
  for (i = 0; i < n; i++) { var p = rows[i][0]; if (p < 0) top.push(i); else children[p].push(i); }
  // a row "has failures" when it, one of its attempts or a descendant failed
  var failing = new Uint8Array(n);
  for (i = n - 1; i >= 0; i--) {
    var r = rows[i];
    if (r[5] === 'F' || (r[10] && r[10].some(function (s) { return s[2] === 'F'; }))) failing[i] = 1;
    if (failing[i] && r[0] >= 0) failing[r[0]] = 1;
  }
  // internal names from the tree: a branch is its step's name plus its key, a step its branch's plus its name
  var internal = new Array(n);
  for (i = 0; i < n; i++) internal[i] = rows[i][0] < 0 ? rows[i][3] : internal[rows[i][0]] + '.' + rows[i][3];
  var collapsed = new Uint8Array(n);
  for (i = 0; i < n; i++) {
    var t = rows[i][4];
    if (rows[i][0] >= 0 && rows[i][1] > 0 && (rows[rows[i][0]][4] === 'map' || rows[rows[i][0]][4] === 'loop') && rows[i][2] === 1) collapsed[i] = 1;
    if (rows[i][2] === 0 && (t === 'map' || t === 'loop') && children[i].length > 1) collapsed[i] = 1;
  }
  var state = { failures: false, critical: false, query: '', selected: -1 };
  var visible = [];

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function dur(ms) {
    if (!(ms >= 0)) return '';
    if (ms < 1000) return Math.round(ms) + 'ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + 's';
    if (ms < 3600000) return Math.floor(ms / 60000) + 'm' + Math.round((ms % 60000) / 1000) + 's';
    return Math.floor(ms / 3600000) + 'h' + Math.round((ms % 3600000) / 60000) + 'm';
  }
  function endOf(r) { return r[7] >= 0 ? r[7] : D.span; }

  function computeVisible() {
    visible = [];
    var q = state.query.toLowerCase();
    if (state.failures || q || state.critical) {
      var keep = new Uint8Array(n);
      for (var i = 0; i < n; i++) {
        var r = rows[i];
        var ok = (!state.failures || failing[i]) && (!state.critical || r[8]) && (!q || r[3].toLowerCase().indexOf(q) >= 0);
        if (ok) for (var j = i; j >= 0 && !keep[j]; j = rows[j][0]) keep[j] = 1;
      }
      for (i = 0; i < n; i++) if (keep[i]) visible.push(i);
      return;
    }
    var stack = top.slice().reverse();
    while (stack.length) {
      var k = stack.pop();
      visible.push(k);
      if (!collapsed[k]) for (var c = children[k].length - 1; c >= 0; c--) stack.push(children[k][c]);
    }
  }

  var body = document.getElementById('gantt-body');
  var spacer = document.getElementById('gantt-spacer');
  var axis = document.getElementById('gantt-axis');
  var nameW = 360;

  function label(i) {
    var r = rows[i];
    var kids = children[i];
    var s = r[3];
    if (r[2] === 0 && (r[4] === 'map' || r[4] === 'loop') && kids.length) {
      var bad = 0;
      for (var k = 0; k < kids.length; k++) if (rows[kids[k]][5] === 'F') bad++;
      s += ' · ' + kids.length + (r[4] === 'map' ? ' iterations' : ' rounds') + ' (' + (kids.length - bad) + ' ✓' + (bad ? ' ' + bad + ' ✗' : '') + ')';
    }
    if (r[10] && r[10].length > 1) s += ' · ' + r[10].length + ' attempts';
    return s;
  }

  function render() {
    spacer.style.height = (visible.length * ROW_H) + 'px';
    var h = body.clientHeight || 600;
    var first = Math.max(0, Math.floor(body.scrollTop / ROW_H) - 10);
    var last = Math.min(visible.length, first + Math.ceil(h / ROW_H) + 20);
    var width = Math.max(200, body.clientWidth - nameW - 90);
    var frag = document.createDocumentFragment();
    for (var v = first; v < last; v++) {
      var i = visible[v];
      var r = rows[i];
      var row = el('div', 'row ' + (CLS[r[5]] || '') + (r[8] ? ' critical' : '') + (i === state.selected ? ' selected' : '') + (r[2] ? ' branch' : ''));
      row.style.top = (v * ROW_H) + 'px';
      row.dataset.row = String(i);
      var name = el('div', 'name');
      name.style.paddingLeft = (4 + r[1] * 14) + 'px';
      name.style.width = nameW + 'px';
      var tog = el('span', 'toggle', children[i].length ? (collapsed[i] && !(state.failures || state.query || state.critical) ? '▸' : '▾') : '');
      name.appendChild(tog);
      name.appendChild(el('span', 'dot ' + (CLS[r[5]] || '')));
      name.appendChild(el('span', 'label', label(i)));
      name.title = STATUS[r[5]] + ' ' + r[3];
      row.appendChild(name);
      var lane = el('div', 'lane');
      lane.style.width = width + 'px';
      if (r[6] >= 0) {
        var segs = r[10] && r[10].length ? r[10] : [[r[6], r[7], r[5]]];
        for (var s = 0; s < segs.length; s++) {
          var a = segs[s][0], b = segs[s][1] >= 0 ? segs[s][1] : D.span;
          var bar = el('div', 'bar ' + (CLS[segs[s][2]] || '') + (segs[s][1] < 0 ? ' open' : '') + (r[2] ? ' group' : ''));
          bar.style.left = (a / D.span * width) + 'px';
          bar.style.width = Math.max(2, (b - a) / D.span * width) + 'px';
          bar.title = (segs.length > 1 ? 'attempt ' + (s + 1) + ' ' : '') + STATUS[segs[s][2]] + ' ' + dur(b - a);
          lane.appendChild(bar);
        }
      }
      row.appendChild(lane);
      row.appendChild(el('div', 'dur', r[6] >= 0 ? dur(endOf(r) - r[6]) : ''));
      frag.appendChild(row);
    }
    var old = spacer.querySelectorAll('.row');
    for (var o = 0; o < old.length; o++) old[o].remove();
    spacer.appendChild(frag);
    drawAxis(width);
  }

  function drawAxis(width) {
    axis.textContent = '';
    axis.style.paddingLeft = nameW + 'px';
    var step = niceStep(D.span / 8);
    for (var t = 0; t <= D.span; t += step) {
      var tick = el('span', 'tick', dur(t));
      tick.style.left = (nameW + t / D.span * width) + 'px';
      axis.appendChild(tick);
    }
  }
  function niceStep(x) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1))));
    var m = x / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  function refresh() { computeVisible(); render(); }

  body.addEventListener('scroll', render, { passive: true });
  window.addEventListener('resize', render);
  spacer.addEventListener('click', function (ev) {
    var rowEl = ev.target.closest('.row');
    if (!rowEl) return;
    var i = Number(rowEl.dataset.row);
    if (ev.target.classList.contains('toggle') && children[i].length) { collapsed[i] = collapsed[i] ? 0 : 1; refresh(); return; }
    select(i);
  });
  document.getElementById('f-failures').addEventListener('change', function (e) { state.failures = e.target.checked; refresh(); });
  document.getElementById('f-critical').addEventListener('change', function (e) { state.critical = e.target.checked; refresh(); });
  document.getElementById('f-query').addEventListener('input', function (e) { state.query = e.target.value; refresh(); });
  document.getElementById('expand-all').addEventListener('click', function () { collapsed.fill(0); refresh(); });
  document.getElementById('collapse-all').addEventListener('click', function () { for (var i = 0; i < n; i++) if (children[i].length && rows[i][1] > 0) collapsed[i] = 1; refresh(); });

  function table(head, data) {
    var t = el('table');
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', '', h)); });
    t.appendChild(tr);
    data.forEach(function (d) { var row = el('tr'); d.forEach(function (c) { row.appendChild(el('td', '', String(c))); }); t.appendChild(row); });
    return t;
  }
  function section(parent, title, node) { parent.appendChild(el('h4', '', title)); parent.appendChild(node); }

  var panel = document.getElementById('panel');
  function select(i) {
    state.selected = i;
    render();
    var r = rows[i];
    panel.textContent = '';
    panel.classList.add('open');
    var close = el('button', 'close', '×');
    close.addEventListener('click', function () { panel.classList.remove('open'); state.selected = -1; render(); });
    panel.appendChild(close);
    panel.appendChild(el('h3', '', r[3]));
    var meta = el('div', 'meta');
    meta.appendChild(el('span', 'badge ' + CLS[r[5]], STATUS[r[5]]));
    meta.appendChild(el('span', '', ' ' + r[4] + (r[6] >= 0 ? ' · ' + dur(endOf(r) - r[6]) : '') + (r[8] ? ' · on the critical path' : '')));
    panel.appendChild(meta);
    panel.appendChild(el('div', 'internal', internal[i]));
    var d = r[9] >= 0 ? D.details[r[9]] : null;
    if (!d) {
      if (children[i].length) panel.appendChild(el('p', '', children[i].length + ' step(s) inside'));
      return;
    }
    if (d.message) section(panel, 'message', el('pre', 'msg', d.message));
    if (d.code) section(panel, 'code identity', el('div', 'mono', d.code));
    if (d.catalog) section(panel, 'catalog', table(['stage', 'file', 'sha256', 'catalog path'], d.catalog));
    var iso = function (t) { return t >= 0 ? new Date(D.t0 + t).toISOString() : 'running'; };
    d.attempts.forEach(function (a) {
      var box = el('div', 'attempt');
      box.appendChild(el('h4', '', 'attempt ' + a.n + ' — ' + a.status + (a.t[1] >= 0 ? ' — ' + dur(a.t[1] - a.t[0]) : '')));
      box.appendChild(el('div', 'mono small', iso(a.t[0]) + ' → ' + iso(a.t[1])));
      if (a.cache) box.appendChild(el('div', 'cache', 'cache ' + a.cache));
      if (a.message && a.message !== d.message) box.appendChild(el('pre', 'msg', a.message));
      if (a.inputs) section(box, 'input parameters', table(['name', 'kind', 'value'], a.inputs));
      if (a.outputs) section(box, 'output parameters', table(['name', 'kind', 'value'], a.outputs));
      if (a.metrics) section(box, 'metrics', table(['name', 'value'], a.metrics));
      if (a.log !== undefined) section(box, 'log (last lines)', el('pre', 'log', a.log));
      else if (r[4] === 'task') box.appendChild(el('div', 'small', 'log in the catalog: .logs/' + internal[i] + '.attempt-' + a.n + '.log'));
      panel.appendChild(box);
    });
  }

  // metrics across earlier runs of the same pipeline
  var chartSel = document.getElementById('metric-select');
  function drawChart() {
    var box = document.getElementById('metric-chart');
    if (!box || !chartSel) return;
    var name = chartSel.value;
    var pts = D.history.filter(function (h) { return typeof h.metrics[name] === 'number'; });
    var W = 420, H = 120, P = 24;
    var vals = pts.map(function (h) { return h.metrics[name]; });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi === lo) { hi += 1; lo -= 1; }
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('class', 'chart');
    var path = '';
    pts.forEach(function (h, k) {
      var x = P + (pts.length > 1 ? k * (W - 2 * P) / (pts.length - 1) : (W - 2 * P) / 2);
      var y = H - P - (h.metrics[name] - lo) / (hi - lo) * (H - 2 * P);
      path += (k ? 'L' : 'M') + x.toFixed(1) + ',' + y.toFixed(1);
      var c = document.createElementNS(ns, 'circle');
      c.setAttribute('cx', x); c.setAttribute('cy', y); c.setAttribute('r', h.run_id === D.run.run_id ? 5 : 3);
      c.setAttribute('class', 'pt ' + (h.run_id === D.run.run_id ? 'current' : ''));
      var tt = document.createElementNS(ns, 'title'); tt.textContent = h.run_id + ': ' + h.metrics[name]; c.appendChild(tt);
      svg.appendChild(c);
    });
    var line = document.createElementNS(ns, 'path');
    line.setAttribute('d', path); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#2563eb');
    svg.insertBefore(line, svg.firstChild);
    [[hi, P], [lo, H - P]].forEach(function (a) {
      var tx = document.createElementNS(ns, 'text'); tx.setAttribute('x', 2); tx.setAttribute('y', a[1] + 4); tx.textContent = String(Math.round(a[0] * 1000) / 1000); svg.appendChild(tx);
    });
    box.textContent = '';
    box.appendChild(svg);
    box.appendChild(el('div', 'small', pts.length + ' run(s) of this pipeline, oldest first'));
  }
  if (chartSel) { chartSel.addEventListener('change', drawChart); drawChart(); }

  // a click on a step in the graph finds it in the Gantt
  var graph = document.getElementById('graph');
  if (graph) graph.addEventListener('click', function (ev) {
    var g = ev.target.closest('[data-step]');
    if (!g) return;
    var name = g.getAttribute('data-step').split('.').pop();
    var q = document.getElementById('f-query');
    q.value = name; state.query = name; refresh();
  });

  refresh();
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = '1';
})();
`;
