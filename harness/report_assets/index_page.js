// The index page: every case (suite / scenario / mode / seed) with its
// outcome, durations, first failures and replay command, filterable by suite,
// mode, outcome and text; the filters live in the URL's #fragment
// (index.html#outcome=failed). ASCII only (embedded as a C++ raw string).
'use strict';

(function () {
  var el = Report.el;
  var D = Report.data();
  var app = document.getElementById('app');
  var cases = D.cases;

  function count(status) {
    return cases.filter(function (c) { return c.status === status; }).length;
  }
  function distinct(key) {
    var seen = {};
    cases.forEach(function (c) { seen[c[key]] = 1; });
    return Object.keys(seen).sort();
  }
  function select(name, values, label) {
    return el('select', {name: name}, [el('option', {value: '', text: 'every ' + label})].concat(
      values.map(function (v) { return el('option', {value: v, text: v}); })));
  }

  var suite = select('suite', distinct('suite'), 'suite');
  var mode = select('mode', distinct('mode'), 'mode');
  var outcome = select('outcome', ['failed', 'passed', 'skipped'], 'outcome');
  var text = el('input', {type: 'search', name: 'q', placeholder: 'scenario, failure text'});
  var shown = el('span', {class: 'small'});

  var table = new Report.SortedTable([
    {title: 'outcome', key: function (c) { return c.status; }, cell: function (c) {
      return Report.badge(c.status);
    }},
    {title: 'suite', key: function (c) { return c.suite; }, cell: function (c) { return c.suite; }},
    {title: 'scenario', cls: 'name', key: function (c) { return c.scenario; }, cell: function (c) {
      return c.page ? el('a', {href: c.page, text: c.scenario}) : c.scenario;
    }},
    {title: 'mode', key: function (c) { return c.mode; }, cell: function (c) { return c.mode; }},
    {title: 'seed', cls: 'num', key: function (c) { return c.seed; }, cell: function (c) { return String(c.seed); }},
    {title: 'wall', cls: 'num', key: function (c) { return c.wall_seconds; }, cell: function (c) {
      return c.wall_seconds.toFixed(3) + ' s';
    }},
    {title: 'simulated', cls: 'num', key: function (c) { return c.sim_seconds; }, cell: function (c) {
      return c.sim_seconds.toFixed(1) + ' s';
    }},
    {title: 'events', cls: 'num', key: function (c) { return c.events; }, cell: function (c) { return String(c.events); }},
    {title: 'failure', key: function (c) { return c.failures[0] || c.skip_reason || ''; },
     cell: function (c) {
       if (c.status === 'skipped') return el('span', {class: 'small', text: c.skip_reason});
       if (!c.failures.length) return '';
       return el('div', {class: 'failure'}, [c.failures[0],
         c.failure_count > 1 ? el('span', {class: 'small', text: ' (+' + (c.failure_count - 1) +
                                                                 ' more)'}) : null]);
     }},
    {title: 'replay', key: function (c) { return c.replay; }, cell: function (c) {
      return c.replay ? el('div', {class: 'replay'}, [el('code', {text: c.replay}),
                                                      Report.copyButton(c.replay)]) : '';
    }}
  ], {limit: 500, sortCol: -1});

  function readHash() {
    var h = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var p = kv.split('=');
      if (p[0]) h[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || '');
    });
    suite.value = h.suite || '';
    mode.value = h.mode || '';
    outcome.value = h.outcome || '';
    text.value = h.q || '';
  }
  function writeHash() {
    var parts = [];
    [suite, mode, outcome, text].forEach(function (s) {
      if (s.value) parts.push(s.name + '=' + encodeURIComponent(s.value));
    });
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
  }
  function apply() {
    var q = text.value.toLowerCase();
    var rows = cases.filter(function (c) {
      if (suite.value && c.suite !== suite.value) return false;
      if (mode.value && c.mode !== mode.value) return false;
      if (outcome.value && c.status !== outcome.value) return false;
      if (!q) return true;
      return (c.suite + '/' + c.scenario + ' ' + c.failures.join(' ')).toLowerCase().indexOf(q) >= 0;
    });
    // Failures first, then in run order.
    rows.sort(function (a, b) { return (a.status !== 'failed') - (b.status !== 'failed'); });
    table.setRows(rows);
    shown.textContent = rows.length + ' of ' + cases.length + ' cases shown';
    return rows.length;
  }
  [suite, mode, outcome, text].forEach(function (s) {
    s.addEventListener(s === text ? 'input' : 'change', function () { writeHash(); apply(); });
  });
  window.addEventListener('hashchange', function () { readHash(); apply(); });

  document.title = (count('failed') ? count('failed') + ' FAILED - ' : '') + D.title;
  app.appendChild(el('header', {}, [
    el('h1', {text: D.title}),
    el('div', {class: 'facts'}, [
      el('span', {class: 'badge ok', text: count('passed') + ' passed'}), ' ',
      el('span', {class: 'badge bad', text: count('failed') + ' failed'}), ' ',
      el('span', {class: 'badge skip', text: count('skipped') + ' skipped'}), ' ',
      cases.length + ' cases']),
    el('div', {class: 'small', text: 'A scenario name links to its timeline.'})
  ]));
  app.appendChild(el('div', {class: 'toolbar'}, [suite, mode, outcome, text, shown]));
  app.appendChild(table.node);
  readHash();
  var n = apply();
  var rendered = table.table.querySelectorAll('tbody tr').length;
  Report.selfcheck(rendered === Math.min(n, table.limit) && (cases.length === 0 || rendered > 0), {
    cases: cases.length, rows: rendered, failed: count('failed'),
    pages: cases.filter(function (c) { return c.page; }).length
  });
})();
