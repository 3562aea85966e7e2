/**
 * The studio's browser code, as one script the page inlines (no build step, no network). It
 * reads the store through the server's /api, or from the data a static report embeds in
 * `window.__DSPEX_DATA__`, and draws four views: runs, an evaluation, an optimizer run and a
 * trace. Charts are uPlot's (inlined beside this script by page.ts).
 *
 * Written as plain ES2017 in a string: the page runs it as is, in any browser.
 */
export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var DATA = window.__DSPEX_DATA__ || null;
  var app = document.getElementById('app');
  window.__studioCharts = [];

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      if (k === 'text') node.textContent = a[k];
      else if (k === 'on') Object.keys(a.on).forEach(function (ev) { node.addEventListener(ev, a.on[ev]); });
      else if (a[k] !== undefined && a[k] !== null) node.setAttribute(k, a[k]);
    });
    (kids || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function api(path) {
    if (DATA) {
      var hit = path === 'runs' ? DATA.runs : DATA.details[path.slice(5)];
      return hit ? Promise.resolve(hit) : Promise.reject(new Error('not in this report: ' + path));
    }
    return fetch('api/' + path).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.statusText); });
      return r.json();
    });
  }
  function parse(text) { if (text === null || text === undefined) return null; try { return JSON.parse(text); } catch (e) { return text; } }
  function show(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    return JSON.stringify(value, null, 1);
  }
  function fields(obj) {
    if (obj === null || typeof obj !== 'object') return show(obj);
    return Object.keys(obj).map(function (k) { return k + ': ' + (typeof obj[k] === 'string' ? obj[k] : JSON.stringify(obj[k])); }).join('\n');
  }
  function num(v, digits) { return typeof v === 'number' ? String(Math.round(v * Math.pow(10, digits || 2)) / Math.pow(10, digits || 2)) : ''; }
  function when(ms) { return ms ? new Date(ms).toLocaleString() : ''; }
  function dur(a, b) { if (!a || !b) return ''; var ms = b - a; return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s'; }
  function title(text, sub) { return el('div', { class: 'title' }, [el('h1', { text: text }), sub ? el('div', { class: 'sub', text: sub }) : null]); }
  function back() { return DATA && DATA.runs.length === 1 ? null : el('a', { href: '#/', class: 'back', text: '\u2190 runs' }); }

  function route() {
    window.__studioCharts = [];
    app.textContent = '';
    var parts = (location.hash.replace(/^#\/?/, '') || (DATA && DATA.runs.length === 1 ? 'run/' + DATA.runs[0].id : '')).split('/');
    var done = parts[0] === 'run' ? runView(parts[1], parts[2] === 'trace' ? parts[3] || '' : null) : api('runs').then(runsView);
    done.then(function () { document.body.setAttribute('data-ready', location.hash || '#/'); }, function (e) {
      app.appendChild(el('div', { class: 'error', text: String(e && e.message || e) }));
      document.body.setAttribute('data-ready', 'error');
    });
  }
  window.addEventListener('hashchange', route);

  function runsView(runs) {
    app.appendChild(title('Runs', runs.length + ' recorded'));
    var rows = runs.map(function (r) {
      var d = parse(r.detail) || {};
      var what = r.kind === 'evaluate' ? (d.n || 0) + ' examples, ' + (d.errors || 0) + ' errors' :
        r.kind === 'optimize' ? (d.trials !== undefined ? d.trials + ' trials' : '') : '';
      return el('tr', { class: 'run ' + r.status, 'data-id': r.id, on: { click: function () { location.hash = '#/run/' + r.id; } } }, [
        el('td', { text: r.kind }), el('td', { text: r.name }), el('td', { text: r.status }),
        el('td', { class: 'num', text: num(r.score) }), el('td', { text: what }),
        el('td', { text: when(r.startedAt) }), el('td', { class: 'num', text: dur(r.startedAt, r.endedAt) })]);
    });
    app.appendChild(table('runs', ['kind', 'name', 'status', 'score', 'what', 'started', 'took'], rows));
  }

  function table(id, heads, rows) {
    return el('table', { id: id }, [el('thead', {}, [el('tr', {}, heads.map(function (h) { return el('th', { text: h }); }))]), el('tbody', {}, rows)]);
  }

  function runView(id, traceRoot) {
    return api('runs/' + id).then(function (d) {
      var back0 = back();
      if (back0) app.appendChild(back0);
      if (traceRoot !== null) return traceView(d, traceRoot);
      if (d.run.kind === 'evaluate') return evaluationView(d);
      if (d.run.kind === 'optimize') return optimizeView(d);
      return traceView(d, '');
    });
  }

  // ---- evaluation: per-example table, filter and sort ----
  function evaluationView(d) {
    var r = d.run, det = parse(r.detail) || {};
    app.appendChild(title('Evaluation: ' + r.name + (det.program ? ' (' + det.program + ')' : ''),
      'score ' + num(r.score) + '% on ' + (det.n || 0) + ' examples, ' + (det.errors || 0) + ' errors, metric ' + (det.metricName || '') + ', ' + when(r.startedAt) + ', took ' + dur(r.startedAt, r.endedAt)));
    if (r.error) app.appendChild(el('div', { class: 'error', text: r.error }));
    var rows = d.examples.map(function (x) {
      return { x: x, inputs: fields(parse(x.inputs)), labels: fields(parse(x.labels)), prediction: fields(parse(x.prediction)) };
    });
    var state = { key: 'idx', dir: 1, text: '', show: 'all' };
    var filter = el('input', { id: 'filter', type: 'search', placeholder: 'filter inputs, labels, prediction, error' });
    var pick = el('select', { id: 'show' }, ['all', 'passed', 'failed', 'errors'].map(function (v) { return el('option', { value: v, text: v }); }));
    var count = el('span', { id: 'shown' });
    app.appendChild(el('div', { class: 'controls' }, [filter, pick, count]));
    var heads = [['idx', '#'], ['inputs', 'inputs'], ['labels', 'labels'], ['prediction', 'prediction'], ['score', 'score'], ['error', 'error'], ['trace', 'trace']];
    var tbody = el('tbody');
    var ths = heads.map(function (h) {
      return el('th', { 'data-key': h[0], class: h[0] === 'trace' ? '' : 'sortable', text: h[1], on: { click: function () {
        if (h[0] === 'trace') return;
        state.dir = state.key === h[0] ? -state.dir : 1; state.key = h[0]; draw();
      } } });
    });
    app.appendChild(el('table', { id: 'examples' }, [el('thead', {}, [el('tr', {}, ths)]), tbody]));
    function value(row, key) {
      if (key === 'idx' || key === 'score') return row.x[key];
      if (key === 'error') return row.x.error || '';
      return row[key];
    }
    function draw() {
      var t = state.text.toLowerCase();
      var shown = rows.filter(function (row) {
        if (state.show === 'passed' && !(row.x.score > 0 && !row.x.error)) return false;
        if (state.show === 'failed' && (row.x.score > 0 && !row.x.error)) return false;
        if (state.show === 'errors' && !row.x.error) return false;
        return !t || (row.inputs + '\n' + row.labels + '\n' + row.prediction + '\n' + (row.x.error || '')).toLowerCase().indexOf(t) >= 0;
      });
      shown.sort(function (a, b) {
        var va = value(a, state.key), vb = value(b, state.key);
        return (va < vb ? -1 : va > vb ? 1 : a.x.idx - b.x.idx) * state.dir;
      });
      ths.forEach(function (th) { th.setAttribute('data-sort', th.getAttribute('data-key') === state.key ? (state.dir > 0 ? 'asc' : 'desc') : ''); });
      tbody.textContent = '';
      shown.forEach(function (row) {
        var x = row.x;
        tbody.appendChild(el('tr', { class: x.error ? 'err' : x.score > 0 ? 'pass' : 'fail', 'data-idx': x.idx }, [
          el('td', { class: 'num', text: String(x.idx) }), el('td', { class: 'pre', text: row.inputs }),
          el('td', { class: 'pre', text: row.labels }), el('td', { class: 'pre', text: row.prediction }),
          el('td', { class: 'num', text: num(x.score) }), el('td', { class: 'pre', text: x.error || '' }),
          el('td', {}, [x.traceId ? el('a', { href: '#/run/' + x.runId + '/trace/' + x.traceId, class: 'trace-link', text: 'trace' }) : null])]));
      });
      count.textContent = shown.length + ' of ' + rows.length + ' examples';
    }
    filter.addEventListener('input', function () { state.text = filter.value; draw(); });
    pick.addEventListener('change', function () { state.show = pick.value; draw(); });
    draw();
  }

  // ---- optimizer run: trial curve, Pareto front, before/after diff ----
  function optimizeView(d) {
    var r = d.run, det = parse(r.detail) || {}, scores = det.scores || {};
    app.appendChild(title('Optimizer run: ' + r.name, 'score before ' + num(scores.before) + ', after ' + num(scores.after) +
      ', ' + (det.trials || 0) + ' trials, ' + (det.evaluations || 0) + ' evaluations, ' + (det.lmCalls || 0) + ' LM calls, ' +
      ((det.tokens && det.tokens.total) || 0) + ' tokens, ' + when(r.startedAt) + ', took ' + dur(r.startedAt, r.endedAt)));
    if (r.error) app.appendChild(el('div', { class: 'error', text: r.error }));
    app.appendChild(el('a', { href: '#/run/' + r.id + '/trace/', class: 'trace-link', text: 'trace of the whole run (' + d.spans.length + ' calls)' }));
    var scored = d.trials.filter(function (t) { return typeof t.score === 'number'; });
    var ys = scored.map(function (t) { return t.score; });
    var label = 'evaluation';
    if (ys.length === 0 && scores.candidates) { ys = scores.candidates.slice(); label = 'candidate'; }
    app.appendChild(el('h2', { text: 'Score per ' + label + ', with the best so far' }));
    if (ys.length === 0) app.appendChild(el('p', { class: 'sub', text: 'this optimizer reported no scores' }));
    else {
      var xs = ys.map(function (_, i) { return i + 1; }), best = [], m = -Infinity;
      ys.forEach(function (y) { m = Math.max(m, y); best.push(m); });
      chart('trials-chart', [xs, ys, best], [
        { label: label },
        { label: 'score', stroke: '#7a7fd1', width: 0, paths: function () { return null; }, points: { show: true, size: 9, fill: '#7a7fd1' } },
        { label: 'best so far', stroke: '#1b9e5a', width: 2, points: { show: false } }], label);
    }
    if (scores.pareto) pareto(scores);
    diff(det.before, det.after);
  }

  function chart(id, data, series, xlabel) {
    var box = el('div', { id: id, class: 'chart' });
    app.appendChild(box);
    var plot = new uPlot({ width: Math.min(900, app.clientWidth || 900), height: 280, scales: { x: { time: false } }, series: series,
      axes: [{ label: xlabel }, { label: 'score' }] }, data, box);
    window.__studioCharts.push({ id: id, series: plot.series.length - 1, points: data[0].length });
    return plot;
  }

  function pareto(scores) {
    var p = scores.pareto, cands = scores.candidates || [];
    var front = {};
    p.best.forEach(function (list) { list.forEach(function (c) { front[c] = true; }); });
    var order = cands.map(function (_, i) { return i; }).sort(function (a, b) { return (p.discoveryEvalCounts[a] || 0) - (p.discoveryEvalCounts[b] || 0) || a - b; });
    app.appendChild(el('h2', { text: 'GEPA Pareto front: ' + Object.keys(front).length + ' of ' + cands.length + ' candidates are best on some validation example' }));
    chart('pareto-chart', [order.map(function (i) { return p.discoveryEvalCounts[i] || 0; }), order.map(function (i) { return cands[i]; }),
      order.map(function (i) { return front[i] ? cands[i] : null; })], [
      { label: 'metric calls at discovery' },
      { label: 'candidate', stroke: '#999', width: 0, paths: function () { return null; }, points: { show: true, size: 7, fill: '#ccc' } },
      { label: 'on the front', stroke: '#d1495b', width: 0, paths: function () { return null; }, points: { show: true, size: 10, fill: '#d1495b' } }], 'metric calls at discovery');
    var heads = ['candidate', 'score', 'parents', 'found after'].concat(p.instances.map(function (i) { return 'val ' + i; }));
    var rows = cands.map(function (s, i) {
      return el('tr', { class: front[i] ? 'front' : '' }, [el('td', { text: String(i) + (front[i] ? ' \u2605' : '') }), el('td', { class: 'num', text: num(s) }),
        el('td', { text: (p.parents[i] || []).filter(function (x) { return x !== null; }).join(', ') }), el('td', { class: 'num', text: String(p.discoveryEvalCounts[i] || 0) })]
        .concat((p.subscores[i] || []).map(function (v, j) { return el('td', { class: 'num' + (p.best[j] && p.best[j].indexOf(i) >= 0 ? ' best' : ''), text: num(v) }); })));
    });
    app.appendChild(table('pareto', heads, rows));
  }

  // A word diff of two instructions; mostly-rewritten text reads better as the old, then the new.
  function words(a, b) {
    a = String(a || ''); b = String(b || '');
    if (a === b) return [['=', a]];
    var x = a.match(/\S+\s*|\s+/g) || [], y = b.match(/\S+\s*|\s+/g) || [];
    if (x.length * y.length > 4000000) return [['-', a], ['+', b]];
    var n = x.length, m = y.length, L = [];
    for (var i = 0; i <= n; i++) { L.push(new Int32Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) for (var j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    var out = []; i = 0; j = 0;
    function push(op, t) { if (out.length && out[out.length - 1][0] === op) out[out.length - 1][1] += t; else out.push([op, t]); }
    while (i < n && j < m) {
      if (x[i] === y[j]) { push('=', x[i]); i++; j++; } else if (L[i + 1][j] >= L[i][j + 1]) { push('-', x[i]); i++; } else { push('+', y[j]); j++; }
    }
    while (i < n) push('-', x[i++]);
    while (j < m) push('+', y[j++]);
    if (2 * L[0][0] < Math.max(n, m)) return [['-', a], ['+', b]].filter(function (p) { return p[1]; });
    return out;
  }

  function diff(before, after) {
    app.appendChild(el('h2', { text: 'Instructions and demos, before \u2192 after' }));
    var box = el('div', { id: 'diff' });
    app.appendChild(box);
    // A bare predictor's state is flat (dspy.Predict.save); a program's is keyed by predictor path.
    function byPath(s) { return s && (s.demos || s.signature) ? { self: s } : s || {}; }
    before = byPath(before); after = byPath(after);
    var paths = Object.keys(before).concat(Object.keys(after)).filter(function (k, i, all) { return k !== 'metadata' && all.indexOf(k) === i; });
    if (paths.length === 0) box.appendChild(el('p', { class: 'sub', text: 'no program state was recorded' }));
    paths.forEach(function (path) {
      var b = before[path] || {}, a = after[path] || {};
      var ib = b.signature && b.signature.instructions, ia = a.signature && a.signature.instructions;
      var ins = el('div', { class: 'instr pre' }, words(ib, ia).map(function (part) {
        return el(part[0] === '=' ? 'span' : part[0] === '+' ? 'ins' : 'del', { text: part[1] });
      }));
      var db = (b.demos || []).map(function (x) { return JSON.stringify(x); }), da = (a.demos || []).map(function (x) { return JSON.stringify(x); });
      var demos = da.filter(function (x) { return db.indexOf(x) < 0; }).map(function (x) { return el('li', { class: 'added pre', text: '+ ' + fields(JSON.parse(x)) }); })
        .concat(db.filter(function (x) { return da.indexOf(x) < 0; }).map(function (x) { return el('li', { class: 'removed pre', text: '- ' + fields(JSON.parse(x)) }); }));
      box.appendChild(el('div', { class: 'predictor', 'data-path': path }, [el('h3', { text: path }),
        el('div', { class: 'sub', text: (ib === ia ? 'instructions unchanged' : 'instructions changed') + '; demos ' + db.length + ' \u2192 ' + da.length }),
        ins, el('ul', { class: 'demos' }, demos)]));
    });
  }

  // ---- trace: the tree of module -> LM calls ----
  function traceView(d, rootId) {
    var spans = d.spans.map(function (s) { s.kids = []; return s; }), byId = {};
    spans.forEach(function (s) { byId[s.id] = s; });
    var roots = [];
    spans.forEach(function (s) { if (s.parentId && byId[s.parentId]) byId[s.parentId].kids.push(s); else roots.push(s); });
    if (rootId) roots = byId[rootId] ? [byId[rootId]] : [];
    var within = [];
    (function walk(list) { list.forEach(function (s) { within.push(s); walk(s.kids); }); })(roots);
    var lms = within.filter(function (s) { return s.kind === 'lm'; });
    var tokens = lms.reduce(function (t, s) { return t + (s.promptTokens || 0) + (s.completionTokens || 0); }, 0);
    app.appendChild(title('Trace: ' + d.run.name + (rootId ? ' (one call)' : ''), within.length + ' calls, ' + lms.length + ' LM calls, ' + tokens + ' tokens, ' + lms.filter(function (s) { return s.cached; }).length + ' cache hits'));
    var tree = el('div', { id: 'trace' });
    app.appendChild(tree);
    if (roots.length === 0) tree.appendChild(el('p', { class: 'sub', text: 'no calls recorded' }));
    roots.forEach(function (s) { tree.appendChild(node(s, roots.length === 1)); });
  }

  function node(s, open) {
    var extra = [];
    if (s.kind === 'lm') {
      extra.push((s.promptTokens || 0) + '+' + (s.completionTokens || 0) + ' tokens');
      if (s.cached) extra.push('cache hit');
    }
    if (s.kids.length) extra.push(s.kids.length + ' calls');
    var details = el('div', { class: 'details', hidden: '' });
    var kids = el('div', { class: 'children', hidden: '' });
    var filled = false;
    var line = el('div', { class: 'line' + (s.error ? ' err' : ''), role: 'button', tabindex: '0' }, [
      el('span', { class: 'toggle', text: '\u25b8' }), el('span', { class: 'kind ' + s.kind, text: s.kind }), el('span', { class: 'name', text: s.name }),
      el('span', { class: 'lat', text: dur(s.startedAt, s.endedAt) || '0 ms' }), el('span', { class: 'meta', text: extra.join(', ') })]);
    var box = el('div', { class: 'node', 'data-id': s.id, 'data-kind': s.kind }, [line, details, kids]);
    function toggle() {
      if (!filled) {
        filled = true;
        fill(details, s);
        s.kids.forEach(function (k) { kids.appendChild(node(k, false)); });
      }
      var opening = details.hasAttribute('hidden');
      [details, kids].forEach(function (x) { if (opening) x.removeAttribute('hidden'); else x.setAttribute('hidden', ''); });
      box.classList.toggle('open', opening);
      line.firstChild.textContent = opening ? '\u25be' : '\u25b8';
    }
    line.addEventListener('click', toggle);
    line.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
    if (open) toggle();
    return box;
  }

  function fill(box, s) {
    var inputs = parse(s.inputs), outputs = parse(s.outputs);
    if (s.error) box.appendChild(el('div', { class: 'error pre', text: s.error }));
    if (s.kind === 'lm' && inputs && inputs.messages) {
      inputs.messages.forEach(function (m) {
        var text = typeof m.content === 'string' ? m.content : (m.content || []).map(function (p) { return p.type === 'text' ? p.text : '[' + p.type + ']'; }).join('\n');
        box.appendChild(el('div', { class: 'msg ' + m.role }, [el('div', { class: 'role', text: m.role }), el('div', { class: 'pre', text: text })]));
      });
      ((outputs && outputs.outputs) || []).forEach(function (o) {
        box.appendChild(el('div', { class: 'msg output' }, [el('div', { class: 'role', text: 'output' + (outputs.model ? ' (' + outputs.model + ')' : '') }), el('div', { class: 'pre', text: o })]));
      });
      return;
    }
    box.appendChild(el('div', { class: 'msg' }, [el('div', { class: 'role', text: 'inputs' }), el('div', { class: 'pre', text: fields(inputs) })]));
    if (outputs !== null) box.appendChild(el('div', { class: 'msg output' }, [el('div', { class: 'role', text: 'outputs' }), el('div', { class: 'pre', text: fields(outputs) })]));
  }

  route();
})();
`;
