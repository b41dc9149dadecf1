// The canvas timeline of one run (harness/html_report.h, CaseTimeline): one
// lane per engine instance and one for the harness; attempts as bars coloured
// by outcome, retry waits as thin bars, crashes (down) and drains as lane
// bands, fault windows shaded across the lanes they hit, every other event
// as a tick. Wheel zooms around the pointer, drag pans, double-click fits;
// hovering shows an item's details.
//
// Scales: the data is loaded into typed arrays once; each frame walks the
// visible points (binary search) and the spans, and draws at most one mark
// per pixel column, lane, row and colour into one path per colour, so
// 100,000 events draw in a few milliseconds at any zoom.
// ASCII only (embedded as a C++ raw string).
'use strict';

var Timeline = (function () {
  var el = Report.el;

  // Colours and sizes of points by event kind (tall: the whole lane).
  var POINT_STYLE = {
    published: ['#1f77b4', 0], delivered: ['#17becf', 0], acked: ['#2ca02c', 0],
    claimed: ['#9467bd', 1], dlq_moved: ['#8c1c13', 1], dlq_move_failed: ['#d62728', 1],
    dropped: ['#e377c2', 1], crashed: ['#d62728', 1], signal: ['#ff7f0e', 1],
    readiness: ['#bcbd22', 0], shutdown_step: ['#7f7f7f', 0], probe: ['#aec7e8', 0],
    error: ['#ff1f1f', 0], engine_started: ['#2ca02c', 1], subscription_started: ['#98df8a', 0],
    instance_added: ['#2ca02c', 0], position_written: ['#c7c7c7', 0],
    dlq_checked: ['#c49c94', 0], dlq_trimmed: ['#8c564b', 0], dlq_alert: ['#8c564b', 1],
    dlq_callback_failed: ['#d62728', 0], fault_started: ['#e6550d', 1],
    fault_ended: ['#fdae6b', 1], final_pending: ['#ff9896', 0], final_dlq: ['#8c1c13', 0],
    attempt_finished: ['#2e9d4f', 0]
  };
  var OTHER_POINT = ['#555555', 0];
  var ATTEMPT_COLOUR = {
    ok: '#2e9d4f', failed: '#f28e2b', timeout: '#b5179e', undecodable: '#7b4b2a',
    crashed: '#d62728', abandoned: '#d62728', unfinished: '#d62728'
  };
  var WAIT_COLOUR = '#8a96a3';
  var DOWN_COLOUR = 'rgba(60,60,60,0.28)';
  var DRAIN_COLOUR = 'rgba(74,123,208,0.18)';
  var FAULT_FILL = 'rgba(230,85,13,0.13)';
  var FAULT_EDGE = 'rgba(230,85,13,0.75)';
  var HIGHLIGHT = '#e6007e';
  var SPAN_KIND = ['attempt', 'retry wait', 'down', 'drain'];

  var GUTTER = 92, AXIS = 26, ROW = 8, WAIT_ROW = 4, POINT_ROW = 14, PAD = 4;
  var ATTEMPT_ROWS_MAX = 8, WAIT_ROWS_MAX = 3;

  function column(a, Type) { return Type.from ? Type.from(a) : new Type(a); }

  // Typed arrays, per-lane index lists and row packing of the JSON that
  // CaseTimelineJson (harness/html_report_json.cc) writes.
  function loadTimeline(raw) {
    var t0 = performance.now();
    var T = {
      lanes: raw.lanes, dur: Math.max(1, raw.dur), events: raw.events, ids: raw.ids,
      str: raw.str, faults: raw.faults, rows: raw.rows, verdicts: raw.verdicts,
      passed: raw.passed
    };
    var p = raw.pt, s = raw.sp;
    T.pt = {
      t: column(p.t, Float64Array), l: column(p.l, Int32Array), k: column(p.k, Int32Array),
      m: column(p.m, Int32Array), s: column(p.s, Int32Array), a: column(p.a, Int32Array),
      o: column(p.o, Int32Array), d: column(p.d, Int32Array), v: column(p.v, Float64Array),
      i: column(p.i, Int32Array), n: p.t.length
    };
    T.sp = {
      c: column(s.c, Int32Array), l: column(s.l, Int32Array), f: column(s.f, Float64Array),
      u: column(s.u, Float64Array), m: column(s.m, Int32Array), s: column(s.s, Int32Array),
      a: column(s.a, Int32Array), o: column(s.o, Int32Array), d: column(s.d, Int32Array),
      i: column(s.i, Int32Array), j: column(s.j, Int32Array), n: s.f.length,
      row: new Int32Array(s.f.length)
    };
    var nl = T.lanes.length;
    T.lanePoints = [];
    T.laneSpans = [];
    for (var l = 0; l < nl; l++) { T.lanePoints.push([]); T.laneSpans.push([]); }
    for (var i = 0; i < T.pt.n; i++) T.lanePoints[T.pt.l[i]].push(i);
    T.lanePoints = T.lanePoints.map(function (a) { return Int32Array.from(a); });
    // Pack attempts and retry waits of each lane into rows (greedy, by start).
    T.attemptRows = new Int32Array(nl);
    T.waitRows = new Int32Array(nl);
    var ends = [];
    for (l = 0; l < nl; l++) ends.push({0: [], 1: []});
    for (i = 0; i < T.sp.n; i++) {
      var lane = T.sp.l[i], c = T.sp.c[i];
      T.laneSpans[lane].push(i);
      if (c > 1) continue;
      var rows = ends[lane][c], max = c === 0 ? ATTEMPT_ROWS_MAX : WAIT_ROWS_MAX;
      var r = -1, best = 0;
      for (var k = 0; k < rows.length; k++) {
        if (rows[k] <= T.sp.f[i]) { r = k; break; }
        if (rows[k] < rows[best]) best = k;
      }
      if (r < 0) r = rows.length < max ? rows.length : best;
      rows[r] = Math.max(rows[r] || 0, T.sp.u[i]);
      T.sp.row[i] = r;
    }
    for (l = 0; l < nl; l++) {
      T.attemptRows[l] = Math.max(l === 0 ? 0 : 1, ends[l][0].length);
      T.waitRows[l] = ends[l][1].length;
    }
    T.laneSpans = T.laneSpans.map(function (a) { return Int32Array.from(a); });
    T.loadMs = performance.now() - t0;
    return T;
  }

  // A time window shared by the timelines of one page (aligned runs).
  function View(dur) {
    this.full = dur;
    this.from = -dur * 0.01;
    this.to = dur * 1.01;
    this.listeners = [];
  }
  View.prototype.set = function (from, to) {
    var pad = this.full * 0.05;
    var w = Math.max(50, Math.min(to - from, this.full + 2 * pad));
    from = Math.max(-pad, Math.min(from, this.full + pad - w));
    this.from = from;
    this.to = from + w;
    this.listeners.forEach(function (f) { f(); });
  };
  View.prototype.fit = function () { this.set(-this.full * 0.01, this.full * 1.01); };
  View.prototype.show = function (from, until) {
    var w = Math.max(until - from, 2000);
    this.set(from - w * 0.15, until + w * 0.15);
  };

  function Timeline(container, T, view, opts) {
    var self = this;
    this.T = T;
    this.view = view;
    this.opts = opts || {};
    this.hl = {p: new Uint8Array(T.pt.n), s: new Uint8Array(T.sp.n), on: false};
    this.canvas = el('canvas', {class: 'timeline'});
    this.tip = el('div', {class: 'tip', hidden: true});
    this.node = el('div', {class: 'timeline-box'}, [this.canvas, this.tip]);
    container.appendChild(this.node);
    this.layout();
    view.listeners.push(function () { self.schedule(); });
    this.bind();
    if (window.ResizeObserver) {
      new ResizeObserver(function () { self.schedule(); }).observe(this.node);
    }
  }

  Timeline.prototype.layout = function () {
    var T = this.T, y = AXIS;
    this.laneY = [];
    this.laneH = [];
    for (var l = 0; l < T.lanes.length; l++) {
      var h = l === 0 ? PAD + POINT_ROW + POINT_ROW + PAD :
        PAD + T.attemptRows[l] * ROW + T.waitRows[l] * WAIT_ROW + POINT_ROW + PAD;
      this.laneY.push(y);
      this.laneH.push(h);
      y += h;
    }
    this.height = y + 4;
  };

  // Where the parts of lane l start.
  Timeline.prototype.rowsY = function (l) {
    var y = this.laneY[l] + PAD, T = this.T;
    return {attempts: y, waits: y + T.attemptRows[l] * ROW,
            points: y + T.attemptRows[l] * ROW + T.waitRows[l] * WAIT_ROW};
  };

  Timeline.prototype.x = function (t) {
    var v = this.view;
    return GUTTER + (t - v.from) / (v.to - v.from) * (this.width - GUTTER - 8);
  };
  Timeline.prototype.t = function (x) {
    var v = this.view;
    return v.from + (x - GUTTER) / (this.width - GUTTER - 8) * (v.to - v.from);
  };

  Timeline.prototype.schedule = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(function () { self.pending = false; self.draw(); });
  };

  // Marks the items of history indices `events` (strong) and of `messages`.
  Timeline.prototype.highlight = function (events, messages) {
    var T = this.T, hl = this.hl, strong = {}, msg = {};
    (events || []).forEach(function (i) { strong[i] = 1; });
    (messages || []).forEach(function (m) { msg[m] = 1; });
    var any = false;
    for (var i = 0; i < T.pt.n; i++) {
      hl.p[i] = strong[T.pt.i[i]] ? 2 : (T.pt.m[i] >= 0 && msg[T.pt.m[i]] ? 1 : 0);
      any = any || hl.p[i] > 0;
    }
    for (i = 0; i < T.sp.n; i++) {
      hl.s[i] = strong[T.sp.i[i]] || strong[T.sp.j[i]] ? 2 :
        (T.sp.m[i] >= 0 && msg[T.sp.m[i]] ? 1 : 0);
      any = any || hl.s[i] > 0;
    }
    hl.on = any;
    this.schedule();
    return any;
  };

  // The time range of the highlighted items, or null.
  Timeline.prototype.highlightRange = function () {
    var T = this.T, lo = Infinity, hi = -Infinity;
    for (var i = 0; i < T.pt.n; i++) {
      if (this.hl.p[i] === 2) { lo = Math.min(lo, T.pt.t[i]); hi = Math.max(hi, T.pt.t[i]); }
    }
    for (i = 0; i < T.sp.n; i++) {
      if (this.hl.s[i] === 2) { lo = Math.min(lo, T.sp.f[i]); hi = Math.max(hi, T.sp.u[i]); }
    }
    return lo <= hi ? [lo, hi] : null;
  };

  function lowerBound(a, v) {
    var lo = 0, hi = a.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (a[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  }

  Timeline.prototype.draw = function () {
    var start = performance.now();
    var dpr = window.devicePixelRatio || 1;
    var width = Math.max(400, this.node.clientWidth || 1000);
    this.width = width;
    var c = this.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(this.height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(this.height * dpr);
      c.style.width = width + 'px';
      c.style.height = this.height + 'px';
    }
    var ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, this.height);
    this.drawLanes(ctx);
    this.drawFaults(ctx, false);
    var drawn = this.drawSpans(ctx) + this.drawPoints(ctx);
    this.drawFaults(ctx, true);
    this.drawAxis(ctx);
    this.drawn = drawn;
    this.lastDrawMs = performance.now() - start;
    if (this.opts.onDraw) this.opts.onDraw(this);
  };

  Timeline.prototype.drawLanes = function (ctx) {
    var T = this.T;
    for (var l = 0; l < T.lanes.length; l++) {
      ctx.fillStyle = l === 0 ? '#eef1f6' : (l % 2 ? '#ffffff' : '#f7f8fa');
      ctx.fillRect(0, this.laneY[l], this.width, this.laneH[l]);
      ctx.fillStyle = '#222';
      ctx.font = (l === 0 ? 'italic ' : 'bold ') + '12px sans-serif';
      ctx.textBaseline = 'middle';
      ctx.fillText(T.lanes[l], 8, this.laneY[l] + this.laneH[l] / 2);
      ctx.strokeStyle = '#d5d9e0';
      ctx.beginPath();
      ctx.moveTo(0, this.laneY[l] + 0.5);
      ctx.lineTo(this.width, this.laneY[l] + 0.5);
      ctx.stroke();
    }
    ctx.fillStyle = '#c9ced6';
    ctx.fillRect(GUTTER - 4, AXIS, 1, this.height - AXIS);
  };

  // Fault windows: shading under everything, edges and labels over it.
  Timeline.prototype.drawFaults = function (ctx, over) {
    var T = this.T, self = this, left = GUTTER, right = this.width - 8;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, 0, right - left, this.height);
    ctx.clip();
    T.faults.forEach(function (f) {
      var x0 = self.x(f.from), x1 = self.x(f.until);
      if (x1 < left || x0 > right) return;
      var lanes = f.lane < 0 ? T.lanes.map(function (_, i) { return i; }) : [0, f.lane];
      lanes.forEach(function (l) {
        var y = self.laneY[l], h = self.laneH[l];
        if (!over) {
          ctx.fillStyle = FAULT_FILL;
          ctx.fillRect(x0, y, Math.max(2, x1 - x0), h);
        } else {
          ctx.fillStyle = FAULT_EDGE;
          ctx.fillRect(x0, y, 1.5, h);
          if (!f.open && x1 > x0 + 1) ctx.fillRect(x1 - 1, y, 1, h);
        }
      });
      if (over) {
        var ry = self.rowsY(0).points + POINT_ROW + 1;
        ctx.fillStyle = '#a63603';
        ctx.font = '11px sans-serif';
        ctx.textBaseline = 'top';
        var label = f.kind + (f.lane > 0 ? ' ' + T.lanes[f.lane] : '');
        ctx.fillText(label, Math.max(left + 2, x0 + 3), ry);
      }
    });
    ctx.restore();
  };

  // Marks one rectangle into the path of its colour, once per pixel column
  // of (key): the aggregation that keeps large histories fast.
  var colourIds = {}, colourCount = 0;
  function Marks() { this.paths = {}; this.last = new Map(); this.count = 0; }
  Marks.prototype.add = function (colour, key, x, y, w, h) {
    var px = Math.floor(x);
    if (w < 1.5) {
      var id = colourIds[colour];
      if (id === undefined) id = colourIds[colour] = colourCount++;
      var k = id * 65536 + key;
      if (this.last.get(k) === px) return;
      this.last.set(k, px);
    }
    var p = this.paths[colour] || (this.paths[colour] = new Path2D());
    p.rect(x, y, Math.max(w, 1.2), h);
    this.count++;
  };
  Marks.prototype.fill = function (ctx, alpha) {
    var paths = this.paths;
    ctx.globalAlpha = alpha;
    Object.keys(paths).forEach(function (c) { ctx.fillStyle = c; ctx.fill(paths[c]); });
    ctx.globalAlpha = 1;
  };

  Timeline.prototype.drawSpans = function (ctx) {
    var T = this.T, sp = T.sp, v = this.view, left = GUTTER, right = this.width - 8;
    var normal = new Marks(), strong = [], weak = new Marks();
    var end = lowerBound(sp.f, v.to + 1);
    for (var i = 0; i < end; i++) {
      if (sp.u[i] < v.from) continue;
      var l = sp.l[i], c = sp.c[i], rows = this.rowsY(l);
      var x0 = Math.max(left, this.x(sp.f[i])), x1 = Math.min(right, this.x(sp.u[i]));
      if (x1 < left || x0 > right) continue;
      var y, h, colour;
      if (c === 0) {
        y = rows.attempts + sp.row[i] * ROW; h = ROW - 2;
        colour = ATTEMPT_COLOUR[T.str[sp.o[i]]] || '#888';
      } else if (c === 1) {
        y = rows.waits + sp.row[i] * WAIT_ROW + 1; h = WAIT_ROW - 2; colour = WAIT_COLOUR;
      } else {
        y = this.laneY[l] + 1; h = this.laneH[l] - 2; colour = c === 2 ? DOWN_COLOUR : DRAIN_COLOUR;
      }
      var key = l * 64 + c * 16 + sp.row[i];
      var hl = this.hl.s[i];
      if (hl === 2) strong.push([x0, y, x1 - x0, h, colour]);
      // A gap between attempts that follow each other, once they are wide.
      var w = c < 2 && x1 - x0 > 4 ? x1 - x0 - 1 : x1 - x0;
      (hl === 1 ? weak : normal).add(colour, key, x0, y, w, h);
    }
    normal.fill(ctx, this.hl.on ? 0.3 : 1);
    weak.fill(ctx, 1);
    this.drawStrong(ctx, strong);
    return normal.count + weak.count + strong.length;
  };

  Timeline.prototype.drawPoints = function (ctx) {
    var T = this.T, pt = T.pt, v = this.view, left = GUTTER, right = this.width - 8;
    var normal = new Marks(), weak = new Marks(), strong = [];
    var lo = lowerBound(pt.t, v.from), hi = lowerBound(pt.t, v.to + 1);
    var perPixel = (hi - lo) / Math.max(1, right - left);
    var w = perPixel < 0.05 ? 3 : 2;
    for (var i = lo; i < hi; i++) {
      var l = pt.l[i], x = this.x(pt.t[i]);
      if (x < left || x > right) continue;
      var style = POINT_STYLE[T.str[pt.k[i]]] || OTHER_POINT;
      var rows = this.rowsY(l), y, h;
      if (style[1] && l > 0) { y = this.laneY[l] + 2; h = this.laneH[l] - 4; }
      else { y = rows.points + 2; h = POINT_ROW - 4; }
      var hl = this.hl.p[i];
      if (hl === 2) strong.push([x - 1, y, w, h, style[0]]);
      (hl === 1 ? weak : normal).add(style[0], l, x - 1, y, w, h);
    }
    normal.fill(ctx, this.hl.on ? 0.3 : 1);
    weak.fill(ctx, 1);
    this.drawStrong(ctx, strong);
    return normal.count + weak.count + strong.length;
  };

  // Items a verdict points at: full colour, a magenta outline and a marker.
  Timeline.prototype.drawStrong = function (ctx, items) {
    items.forEach(function (r) {
      ctx.fillStyle = r[4];
      ctx.fillRect(r[0], r[1], Math.max(r[2], 2), r[3]);
      ctx.strokeStyle = HIGHLIGHT;
      ctx.lineWidth = 2;
      ctx.strokeRect(r[0] - 1.5, r[1] - 1.5, Math.max(r[2], 2) + 3, r[3] + 3);
      ctx.fillStyle = HIGHLIGHT;
      ctx.beginPath();
      ctx.moveTo(r[0] - 4, r[1] - 7);
      ctx.lineTo(r[0] + 4, r[1] - 7);
      ctx.lineTo(r[0], r[1] - 2);
      ctx.fill();
    });
    ctx.lineWidth = 1;
  };

  Timeline.prototype.drawAxis = function (ctx) {
    var v = this.view, span = v.to - v.from, target = span / 10;
    var step = Math.pow(10, Math.floor(Math.log10(target)));
    [1, 2, 5, 10].some(function (m) { if (step * m >= target) { step *= m; return true; } });
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.width, AXIS);
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'top';
    ctx.strokeStyle = 'rgba(0,0,0,0.08)';
    for (var t = Math.ceil(v.from / step) * step; t <= v.to; t += step) {
      var x = this.x(t);
      if (x < GUTTER) continue;
      ctx.fillStyle = '#333';
      ctx.fillText(Report.fmtDur(Math.round(t)).replace(/^/, t >= 0 ? '+' : ''), x + 2, 6);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, AXIS - 6);
      ctx.lineTo(x + 0.5, this.height);
      ctx.stroke();
    }
  };

  // What is under the pointer: {type: 'point'|'span', i} or null.
  Timeline.prototype.hit = function (x, y) {
    var T = this.T, l = -1;
    for (var k = 0; k < T.lanes.length; k++) {
      if (y >= this.laneY[k] && y < this.laneY[k] + this.laneH[k]) l = k;
    }
    if (l < 0 || x < GUTTER) return null;
    var t = this.t(x), tol = 5 * (this.view.to - this.view.from) / (this.width - GUTTER);
    var rows = this.rowsY(l);
    var pts = T.lanePoints[l], best = -1, bestD = Infinity;
    var tall = y < rows.points - 2;  // outside the point row only tall ticks count
    var lo = 0, hi = pts.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (T.pt.t[pts[mid]] < t - tol) lo = mid + 1; else hi = mid;
    }
    for (var j = lo; j < pts.length && T.pt.t[pts[j]] <= t + tol; j++) {
      var i = pts[j], st = POINT_STYLE[T.str[T.pt.k[i]]] || OTHER_POINT;
      if (tall && !st[1]) continue;
      var d = Math.abs(T.pt.t[i] - t);
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0 && !tall) return {type: 'point', i: best};
    var spans = T.laneSpans[l], found = -1, foundW = Infinity;
    for (k = 0; k < spans.length; k++) {
      var s = spans[k];
      if (T.sp.f[s] > t + tol) break;
      if (T.sp.u[s] < t - tol) continue;
      var c = T.sp.c[s], r = T.sp.row[s], inRow;
      if (c === 0) inRow = y >= rows.attempts + r * ROW && y < rows.attempts + (r + 1) * ROW;
      else if (c === 1) inRow = y >= rows.waits + r * WAIT_ROW && y < rows.waits + (r + 1) * WAIT_ROW;
      else inRow = true;
      var w = T.sp.u[s] - T.sp.f[s] + (c > 1 ? 1e15 : 0);
      if (inRow && w < foundW) { foundW = w; found = s; }
    }
    if (found >= 0) return {type: 'span', i: found};
    return best >= 0 ? {type: 'point', i: best} : null;
  };

  // Lines of the tooltip of a hit.
  Timeline.prototype.describe = function (h) {
    var T = this.T, lines = [], s = T.str;
    function add(k, v) { if (v !== '' && v !== undefined && v !== null) lines.push([k, v]); }
    if (h.type === 'point') {
      var p = T.pt, i = h.i;
      add('event', s[p.k[i]]);
      add('t', Report.fmtT(p.t[i]));
      add('lane', T.lanes[p.l[i]]);
      add('message', p.m[i] >= 0 ? T.ids[p.m[i]] : '');
      add('subscription', s[p.s[i]]);
      add('attempt', p.a[i] || '');
      add('outcome', s[p.o[i]]);
      add('detail', s[p.d[i]]);
      add('value', p.v[i] || '');
      add('history line', p.i[i] + 2);
    } else {
      var q = T.sp, j = h.i;
      add('span', SPAN_KIND[q.c[j]]);
      add('from', Report.fmtT(q.f[j]));
      add('until', Report.fmtT(q.u[j]) + ' (' + Report.fmtDur(q.u[j] - q.f[j]) + ')');
      add('lane', T.lanes[q.l[j]]);
      add('message', q.m[j] >= 0 ? T.ids[q.m[j]] : '');
      add('subscription', s[q.s[j]]);
      add('attempt', q.a[j] || '');
      add('outcome', s[q.o[j]]);
      add('detail', s[q.d[j]]);
      add('history line', q.i[j] + 2);
    }
    return lines;
  };

  Timeline.prototype.bind = function () {
    var self = this, c = this.canvas, drag = null;
    function pos(ev) {
      var r = c.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    }
    c.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = pos(ev), v = self.view, t = self.t(p[0]);
      var f = Math.exp((ev.deltaY || ev.deltaX) * 0.0015);
      self.view.set(t - (t - v.from) * f, t + (v.to - t) * f);
    }, {passive: false});
    c.addEventListener('mousedown', function (ev) {
      drag = {x: pos(ev)[0], from: self.view.from, to: self.view.to, moved: false};
    });
    window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }); });
    c.addEventListener('mousemove', function (ev) {
      var p = pos(ev);
      if (drag && ev.buttons) {
        var dt = (p[0] - drag.x) / (self.width - GUTTER - 8) * (drag.to - drag.from);
        if (Math.abs(p[0] - drag.x) > 2) drag.moved = true;
        self.view.set(drag.from - dt, drag.to - dt);
        self.tip.hidden = true;
        return;
      }
      self.showTip(self.hit(p[0], p[1]), p);
    });
    c.addEventListener('mouseleave', function () { self.tip.hidden = true; });
    c.addEventListener('click', function (ev) {
      if (drag && drag.moved) return;
      var p = pos(ev), h = self.hit(p[0], p[1]);
      if (h && self.opts.onPick) self.opts.onPick(self, h);
    });
    c.addEventListener('dblclick', function () { self.view.fit(); });
  };

  Timeline.prototype.showTip = function (h, p) {
    if (!h) { this.tip.hidden = true; return; }
    this.tip.textContent = '';
    var tip = this.tip;
    this.describe(h).forEach(function (kv) {
      tip.appendChild(el('div', {}, [el('b', {}, [kv[0] + ': ']), String(kv[1])]));
    });
    tip.hidden = false;
    var x = p[0] + 14, w = tip.offsetWidth;
    if (x + w > this.width) x = Math.max(0, p[0] - w - 10);
    tip.style.left = x + 'px';
    tip.style.top = (p[1] + 14) + 'px';
  };

  // Where a hit's item is drawn, in canvas coordinates (for the self-test).
  Timeline.prototype.centerOf = function (h) {
    var T = this.T;
    if (h.type === 'point') {
      var l = T.pt.l[h.i], st = POINT_STYLE[T.str[T.pt.k[h.i]]] || OTHER_POINT;
      var y = st[1] && l > 0 ? this.laneY[l] + this.laneH[l] / 2 : this.rowsY(l).points + 7;
      return [this.x(T.pt.t[h.i]), y];
    }
    var s = h.i, rows = this.rowsY(T.sp.l[s]), c = T.sp.c[s];
    var x = (Math.max(GUTTER, this.x(T.sp.f[s])) + Math.min(this.width - 8, this.x(T.sp.u[s]))) / 2;
    if (c === 0) return [x, rows.attempts + T.sp.row[s] * ROW + 3];
    if (c === 1) return [x, rows.waits + T.sp.row[s] * WAIT_ROW + 2];
    return [x, this.laneY[T.sp.l[s]] + 2];
  };

  // The message of a hit, or -1.
  Timeline.prototype.messageOf = function (h) {
    return h.type === 'point' ? this.T.pt.m[h.i] : this.T.sp.m[h.i];
  };

  // Share of the plot area's sampled pixels that are not background, and the
  // number of distinct colours among them: the page's own "not blank" test.
  Timeline.prototype.inkStats = function () {
    var c = this.canvas, ctx = c.getContext('2d');
    var img = ctx.getImageData(0, 0, c.width, c.height).data, colours = {}, ink = 0, n = 0;
    for (var i = 0; i < img.length; i += 4 * 7) {
      var key = (img[i] << 16) | (img[i + 1] << 8) | img[i + 2];
      colours[key] = 1;
      n++;
      if (key !== 0xffffff && key !== 0xf7f8fa && key !== 0xeef1f6) ink++;
    }
    return {colours: Object.keys(colours).length, ink: n ? ink / n : 0};
  };

  function legend() {
    var items = [];
    function swatch(colour, label, cls) {
      items.push(el('span', {class: 'legend-item'}, [
        el('span', {class: 'swatch ' + (cls || ''), style: 'background:' + colour}), label]));
    }
    swatch(ATTEMPT_COLOUR.ok, 'attempt ok', 'bar');
    swatch(ATTEMPT_COLOUR.failed, 'attempt failed', 'bar');
    swatch(ATTEMPT_COLOUR.timeout, 'timed out', 'bar');
    swatch(ATTEMPT_COLOUR.crashed, 'crashed / abandoned / unfinished', 'bar');
    swatch(WAIT_COLOUR, 'retry wait', 'thin');
    swatch(DOWN_COLOUR, 'instance down', 'band');
    swatch(DRAIN_COLOUR, 'draining', 'band');
    swatch(FAULT_FILL, 'fault window', 'band fault');
    ['published', 'delivered', 'acked', 'claimed', 'dlq_moved', 'dropped', 'crashed', 'signal',
     'readiness', 'shutdown_step', 'probe', 'error', 'engine_started'].forEach(function (k) {
      swatch(POINT_STYLE[k][0], k, 'tick');
    });
    swatch(HIGHLIGHT, 'what a verdict points at', 'bar');
    return el('div', {class: 'legend'}, items);
  }

  return {load: loadTimeline, View: View, Timeline: Timeline, legend: legend};
})();
