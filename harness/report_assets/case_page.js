// The page of one case: header with the replay command, the checkers'
// verdicts (each points at events and messages, and names the fault windows
// they fell in), the timeline(s) - two aligned ones for a memory/test pair -
// and the per-message final states. On load the first verdict is selected:
// its events are highlighted and the view zoomed to them and their fault.
// ASCII only (embedded as a C++ raw string).
'use strict';

(function () {
  var el = Report.el, fmtT = Report.fmtT, fmtDur = Report.fmtDur;
  var D = Report.data();
  var app = document.getElementById('app');
  var runs = D.runs.map(function (r) {
    var T = Timeline.load(r.timeline);
    return {c: r.case, T: T, rows: rowsOf(T), tl: null};
  });
  var main = runs[0];

  function rowsOf(T) {
    var r = T.rows, out = [];
    for (var i = 0; i < r.m.length; i++) {
      out.push({
        i: i, m: r.m[i], id: r.m[i] >= 0 ? T.ids[r.m[i]] : '', stream: T.str[r.st[i]],
        sub: T.str[r.s[i]], state: T.str[r.state[i]], att: r.att[i], ok: r.ok[i], pub: r.pub[i],
        fin: r.fin[i], ttf: r.fin[i] >= 0 ? r.fin[i] - r.pub[i] : -1, inst: T.str[r.inst[i]],
        by: T.str[r.by[i]], last: r.last[i],
        faults: r.faults[i], flag: r.flag[i] === 1
      });
    }
    return out;
  }

  // "duplicated: handled by w1 then w0, 2 attempts"
  function story(r) {
    var n = r.att + ' attempt' + (r.att === 1 ? '' : 's');
    if (r.by) return r.state + ': handled by ' + r.by.split(',').join(' then ') + ', ' + n;
    return r.state + ': ' + n + (r.inst ? ' on ' + r.inst.split(',').join(', ') : ', never delivered');
  }

  function faultText(T, k) {
    var f = T.faults[k];
    var where = f.lane > 0 ? ' on ' + T.lanes[f.lane] : ' (every instance)';
    var when = fmtT(f.from) + (f.open ? ' .. end' : f.until > f.from ? ' .. ' + fmtT(f.until) : '');
    return f.kind + where + ', ' + when;
  }

  function header() {
    var c = main.c;
    var facts = [c.mode, 'seed ' + c.seed, runs[0].T.events + ' events',
                 'simulated ' + c.sim_seconds.toFixed(1) + ' s',
                 'wall ' + c.wall_seconds.toFixed(3) + ' s'];
    return el('header', {}, [
      el('div', {class: 'crumbs'}, [el('a', {href: D.index, text: 'all cases'}), ' / ' + c.suite]),
      el('h1', {}, [Report.badge(c.status), ' ', c.suite + '/' + c.scenario]),
      el('div', {class: 'facts'}, [facts.join(' \u00b7 ')]),
      c.replay ? el('div', {class: 'replay'}, [el('code', {text: c.replay}),
                                               Report.copyButton(c.replay)]) : null,
      el('div', {class: 'facts small'}, [c.file ? 'scenario ' + c.file : '',
                                         c.history ? ' \u00b7 history ' + c.history : ''])
    ]);
  }

  // --- selection --------------------------------------------------------
  var info = el('div', {class: 'selection'});

  function select(run, events, messages, range, text) {
    runs.forEach(function (r) { if (r !== run && r.tl) r.tl.highlight([], []); });
    var any = run.tl.highlight(events, messages);
    info.textContent = text || '';
    if (range) view.show(range[0], range[1]);
    return any;
  }

  function selectVerdict(v) {
    var T = main.T;
    main.tl.highlight(v.events, v.msgs);
    // Show the whole story: the events pointed at, the lives of their
    // messages and the start of the faults they fell in.
    var range = main.tl.highlightRange();
    if (range) {
      var inVerdict = {};
      v.msgs.forEach(function (m) { inVerdict[m] = 1; });
      main.rows.forEach(function (r) {
        if (!inVerdict[r.m]) return;
        range[0] = Math.min(range[0], r.pub);
        range[1] = Math.max(range[1], r.last);
      });
      v.faults.forEach(function (k) {
        range[0] = Math.min(range[0], T.faults[k].from);
      });
    }
    select(main, v.events, v.msgs, range, v.checker + ': ' + v.text);
    document.querySelectorAll('.verdict').forEach(function (n) {
      n.classList.toggle('active', n.verdict === v);
    });
  }

  function selectMessage(run, m) {
    if (m < 0) return;
    var rows = run.rows.filter(function (r) { return r.m === m; });
    var lo = Infinity, hi = -Infinity, states = [];
    rows.forEach(function (r) {
      lo = Math.min(lo, r.pub);
      hi = Math.max(hi, r.fin >= 0 ? r.last : run.T.dur);
      states.push(r.sub + ': ' + story(r));
    });
    select(run, [], [m], lo <= hi ? [lo, hi] : null,
           'message ' + run.T.ids[m] + ' (' + run.c.mode + ') - ' + states.join('; '));
  }

  // --- verdicts -----------------------------------------------------------
  function verdicts() {
    var T = main.T, box = el('section', {class: 'verdicts'}, [el('h2', {text: 'Verdicts'})]);
    var byMessage = {};
    main.rows.forEach(function (r) { (byMessage[r.m] = byMessage[r.m] || []).push(r); });
    if (T.passed.length) {
      box.appendChild(el('div', {class: 'passed'}, ['passed: '].concat(T.passed.map(function (p) {
        return el('span', {class: 'chip ok', text: p});
      }))));
    }
    T.verdicts.forEach(function (v) {
      var msgs = v.msgs.slice(0, 12).map(function (m) {
        var rs = byMessage[m] || [];
        var what = rs.map(function (r) { return story(r); }).join('; ');
        return el('button', {class: 'chip bad', title: T.ids[m],
                             onclick: function (ev) {
                               ev.stopPropagation(); selectMessage(main, m);
                             }}, [T.ids[m].slice(0, 8) + (what ? ': ' + what : '')]);
      });
      if (v.msgs.length > 12) msgs.push(' and ' + (v.msgs.length - 12) + ' more');
      var card = el('div', {class: 'verdict', onclick: function () { selectVerdict(v); }}, [
        el('div', {class: 'vhead'}, [el('b', {text: v.checker}), ': ' + v.text]),
        msgs.length ? el('div', {class: 'vline'}, ['messages: '].concat(msgs)) : null,
        v.faults.length ? el('div', {class: 'vline'}, ['during: ' + v.faults.map(function (k) {
          return faultText(T, k);
        }).join('; ')]) : null,
        v.events.length ? el('div', {class: 'vline small'}, [
          v.events.length + ' event(s) highlighted, history lines ' +
          v.events.slice(0, 8).map(function (i) { return i + 2; }).join(', ') +
          (v.events.length > 8 ? ', ...' : '')]) : null
      ]);
      card.verdict = v;
      box.appendChild(card);
    });
    // Failures of the run that no checker of this history reports (an error).
    var known = {};
    T.verdicts.forEach(function (v) { known[v.checker + ': ' + v.text] = 1; });
    var other = main.c.failures.filter(function (f) { return !known[f]; });
    if (other.length) {
      box.appendChild(el('div', {class: 'verdict'}, [el('b', {text: 'run failures'}),
        el('ul', {}, other.map(function (f) { return el('li', {text: f}); }))]));
    }
    if (!T.verdicts.length && !other.length) {
      box.appendChild(el('div', {class: 'small', text: 'No violations.'}));
    }
    return box;
  }

  // --- timelines ------------------------------------------------------------
  var full = Math.max.apply(null, runs.map(function (r) { return r.T.dur; }));
  var view = new Timeline.View(full);
  var drawnOnce = 0;

  function timelines() {
    var box = el('section', {class: 'timelines'}, [el('h2', {text: 'Timeline'})]);
    var bar = el('div', {class: 'toolbar'}, [
      el('button', {text: 'fit', onclick: function () { view.fit(); }}),
      el('button', {text: 'zoom in', onclick: function () {
        var m = (view.from + view.to) / 2, w = (view.to - view.from) / 4;
        view.set(m - w, m + w);
      }}),
      el('button', {text: 'zoom out', onclick: function () {
        var m = (view.from + view.to) / 2, w = view.to - view.from;
        view.set(m - w, m + w);
      }}),
      el('button', {text: 'clear selection', onclick: function () {
        runs.forEach(function (r) { r.tl.highlight([], []); });
        info.textContent = '';
      }}),
      el('span', {class: 'hint', text: 'wheel: zoom \u00b7 drag: pan \u00b7 double-click: fit' +
                  ' \u00b7 hover: details \u00b7 click: select the message'})
    ]);
    box.appendChild(bar);
    box.appendChild(info);
    runs.forEach(function (r, k) {
      var title = runs.length > 1 ? r.c.mode + ' (' + r.T.events + ' events)' +
        (k > 0 ? ' - aligned at the first event' : '') : '';
      var holder = el('div', {class: 'run'}, title ? [el('div', {class: 'run-title', text: title})] : []);
      box.appendChild(holder);
      r.tl = new Timeline.Timeline(holder, r.T, view, {
        onPick: function (tl, h) { selectMessage(r, tl.messageOf(h)); },
        onDraw: function () { if (!r.drawn) { r.drawn = true; drawnOnce++; check(); } }
      });
    });
    box.appendChild(Timeline.legend());
    return box;
  }

  // --- memory vs test -----------------------------------------------------
  function diff() {
    if (!D.diff || runs.length < 2) return null;
    var a = runs[0], b = runs[1];
    var box = el('section', {}, [el('h2', {text: 'Differences ' + a.c.mode + ' vs ' + b.c.mode}),
      el('div', {class: 'small', text: D.diff.length ? 'Messages paired by subscription and ' +
        'publish order whose final state or attempt count differ.' : 'Every message ended the ' +
        'same way, with the same number of attempts, in both runs.'})]);
    function side(run, i) {
      if (i < 0) return 'missing';
      var r = run.rows[i];
      return story(r);
    }
    var table = new Report.SortedTable([
      {title: 'subscription', key: function (d) { return d.sub; }, cell: function (d) { return d.sub; }},
      {title: '#', key: function (d) { return d.n; }, cell: function (d) { return String(d.n); }},
      {title: a.c.mode, key: function (d) { return side(a, d.a); }, cell: function (d) { return side(a, d.a); }},
      {title: b.c.mode, key: function (d) { return side(b, d.b); }, cell: function (d) { return side(b, d.b); }}
    ], {onRow: function (d) {
      if (d.a >= 0) selectMessage(a, a.rows[d.a].m);
      if (d.b >= 0) b.tl.highlight([], [b.rows[d.b].m]);
    }});
    table.setRows(D.diff);
    if (D.diff.length) box.appendChild(table.node);
    return box;
  }

  // --- messages ---------------------------------------------------------------
  var messageTable;
  function messages() {
    var box = el('section', {}, [el('h2', {text: 'Messages (' + main.rows.length + ')'})]);
    var filter = el('input', {type: 'search', placeholder: 'message id, subscription, instance'});
    var states = {};
    main.rows.forEach(function (r) { states[r.state] = (states[r.state] || 0) + 1; });
    var stateSel = el('select', {}, [el('option', {value: '', text: 'every state'}),
      el('option', {value: '!', text: 'problems (flagged, lost, duplicated)'})].concat(
      Object.keys(states).sort().map(function (s) {
        return el('option', {value: s, text: s + ' (' + states[s] + ')'});
      })));
    messageTable = new Report.SortedTable([
      {title: 'message', key: function (r) { return r.id; }, cell: function (r) {
        return el('code', {title: r.id, text: r.id.slice(0, 8)});
      }},
      {title: 'subscription', key: function (r) { return r.sub; }, cell: function (r) { return r.sub; }},
      {title: 'stream', key: function (r) { return r.stream; }, cell: function (r) { return r.stream; }},
      {title: 'final state', key: function (r) { return r.state; }, cell: function (r) {
        return Report.badge(r.state);
      }},
      {title: 'attempts', cls: 'num', key: function (r) { return r.att; }, cell: function (r) { return String(r.att); }},
      {title: 'handled', cls: 'num', key: function (r) { return r.ok; }, cell: function (r) { return String(r.ok); }},
      {title: 'published', cls: 'num', key: function (r) { return r.pub; }, cell: function (r) { return fmtT(r.pub); }},
      {title: 'time to final', cls: 'num', key: function (r) { return r.ttf < 0 ? Infinity : r.ttf; },
       cell: function (r) { return fmtDur(r.ttf); }},
      {title: 'instances', key: function (r) { return r.inst; }, cell: function (r) { return r.inst; }},
      {title: 'handled by', key: function (r) { return r.by; }, cell: function (r) { return r.by; }},
      {title: 'faults', key: function (r) { return r.faults.length; }, cell: function (r) {
        return r.faults.map(function (k) { return main.T.faults[k].kind; }).join(', ');
      }}
    ], {onRow: function (r) { selectMessage(main, r.m); }});
    function apply() {
      var q = filter.value.toLowerCase(), st = stateSel.value;
      messageTable.setRows(main.rows.filter(function (r) {
        if (st === '!' && !(r.flag || r.state === 'lost' || r.state === 'duplicated')) return false;
        if (st && st !== '!' && r.state !== st) return false;
        if (!q) return true;
        return (r.id + ' ' + r.sub + ' ' + r.stream + ' ' + r.inst).toLowerCase().indexOf(q) >= 0;
      }).map(function (r) {
        r.rowClass = r.flag ? 'flagged' : '';
        return r;
      }));
    }
    filter.addEventListener('input', apply);
    stateSel.addEventListener('change', apply);
    if (main.rows.some(function (r) { return r.flag; })) stateSel.value = '!';
    apply();
    box.appendChild(el('div', {class: 'toolbar'}, [filter, stateSel]));
    box.appendChild(messageTable.node);
    return box;
  }

  // --- self-check -----------------------------------------------------------
  function check() {
    if (drawnOnce < runs.length) return;
    var tl = main.tl, ink = tl.inkStats(), strong = 0;
    for (var i = 0; i < tl.hl.p.length; i++) strong += tl.hl.p[i] === 2 ? 1 : 0;
    for (i = 0; i < tl.hl.s.length; i++) strong += tl.hl.s[i] === 2 ? 1 : 0;
    var ok = main.T.lanes.length > 1 && tl.drawn > 0 && ink.colours >= 4 && ink.ink > 0.01 &&
      (main.T.verdicts.length === 0 || strong > 0);
    Report.selfcheck(ok, {
      lanes: main.T.lanes.length, points: main.T.pt.n, spans: main.T.sp.n, events: main.T.events,
      drawn: tl.drawn, colours: ink.colours, ink: ink.ink.toFixed(3),
      verdicts: main.T.verdicts.length, highlighted: strong, runs: runs.length,
      'load-ms': Math.round(runs.reduce(function (s, r) { return s + r.T.loadMs; }, 0)),
      'draw-ms': Math.round(tl.lastDrawMs), 'page-ms': Math.round(performance.now())
    });
  }

  document.title = main.c.status.toUpperCase() + ' ' + main.c.name + ' - protean-harness';
  app.appendChild(header());
  app.appendChild(verdicts());
  app.appendChild(timelines());
  var d = diff();
  if (d) app.appendChild(d);
  app.appendChild(messages());
  var first = main.T.verdicts.filter(function (v) { return v.events.length; })[0];
  if (first) selectVerdict(first);
  runs.forEach(function (r) { r.tl.draw(); });
  // page.html#interact: drive the first timeline as a user would - hover an
  // attempt, wheel-zoom, drag-pan, double-click - and record what worked in
  // #selfcheck data-interact (ci/report_browser_check.sh requires all four).
  if (location.hash.indexOf('interact') >= 0) interact(main.tl);
  function interact(tl) {
    var c = tl.canvas, r = c.getBoundingClientRect(), done = [];
    function at(type, x, y, extra) {
      var init = {clientX: r.left + x, clientY: r.top + y, bubbles: true, cancelable: true};
      Object.keys(extra || {}).forEach(function (k) { init[k] = extra[k]; });
      c.dispatchEvent(type === 'wheel' ? new WheelEvent(type, init) : new MouseEvent(type, init));
    }
    var span = -1;
    for (var i = 0; i < tl.T.sp.n && span < 0; i++) if (tl.T.sp.c[i] === 0) span = i;
    if (span >= 0) {
      var p = tl.centerOf({type: 'span', i: span});
      at('mousemove', p[0], p[1]);
      if (!tl.tip.hidden && tl.tip.textContent.indexOf('attempt') >= 0) done.push('hover');
      at('mouseleave', p[0], p[1]);
    }
    var saved = [view.from, view.to];
    var w0 = view.to - view.from, mid = (tl.width + 92) / 2, y = tl.laneY[1] + 4;
    at('wheel', mid, y, {deltaY: -400});
    if (view.to - view.from < w0 * 0.8) done.push('zoom');
    var from = view.from;
    at('mousedown', mid, y, {buttons: 1});
    at('mousemove', mid - 150, y, {buttons: 1});
    at('mouseup', mid - 150, y);
    if (view.from > from) done.push('pan');
    at('dblclick', mid, y);
    if (Math.abs(view.to - view.from - full * 1.02) < 1) done.push('fit');
    view.set(saved[0], saved[1]);
    var sc = document.getElementById('selfcheck');
    sc.setAttribute('data-interact', done.join(','));
    sc.setAttribute('data-interact-ok', done.length === 4 ? '1' : '0');
  }

  // page.html#bench: time 20 redraws from the whole run down to 1/1000 of it
  // (ci/report_browser_check.sh reports the figure for its 100k-event page).
  if (location.hash.indexOf('bench') >= 0) {
    var t0 = performance.now(), worst = 0;
    for (var k = 0; k < 20; k++) {
      var w = full * Math.pow(0.7, k), from = (full - w) * (k % 3) / 2;
      view.from = from;
      view.to = from + w;
      var s = performance.now();
      main.tl.draw();
      worst = Math.max(worst, performance.now() - s);
    }
    view.fit();
    var sc = document.getElementById('selfcheck');
    sc.setAttribute('data-bench-ms', ((performance.now() - t0) / 20).toFixed(1));
    sc.setAttribute('data-bench-worst-ms', worst.toFixed(1));
  }
})();
