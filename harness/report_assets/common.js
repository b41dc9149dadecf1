// Shared by the pages of the protean-harness HTML report (see
// harness/html_report.h). Vanilla JavaScript, no network. ASCII only: this
// file is embedded into the binary as a C++ raw string.
'use strict';

var Report = (function () {
  // The page's data: the JSON document in the script element #report-data.
  function data() {
    return JSON.parse(document.getElementById('report-data').textContent);
  }

  // el('div', {class: 'x', onclick: f}, [child, 'text'])
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else if (k === 'text') e.textContent = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ?
        document.createTextNode(String(c)) : c);
    });
    return e;
  }

  // Microseconds since the run's first event, as "+1.234 s".
  function fmtT(us) {
    if (us < 0) return '-';
    return '+' + (us / 1e6).toFixed(3) + ' s';
  }
  // A duration in microseconds, in the unit that reads best.
  function fmtDur(us) {
    if (us < 0) return '-';
    if (us === 0) return '0';
    if (us < 1000) return us + ' us';
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + ' ms';
    return (us / 1e6).toFixed(us < 1e7 ? 3 : 1) + ' s';
  }

  // Copies text; falls back to a selected textarea where the Clipboard API is
  // not allowed (file:// pages in some browsers).
  function copy(text, button) {
    function done(ok) {
      if (!button) return;
      var old = button.textContent;
      button.textContent = ok ? 'copied' : 'select + Ctrl-C';
      setTimeout(function () { button.textContent = old; }, 1200);
    }
    function fallback() {
      var ta = el('textarea', {}, [text]);
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  function copyButton(text) {
    var b = el('button', {class: 'copy', title: 'copy to the clipboard', text: 'copy'});
    b.addEventListener('click', function (ev) { ev.stopPropagation(); copy(text, b); });
    return b;
  }

  // Outcome badges of cases and final states of messages.
  var STATE_CLASS = {
    passed: 'ok', handled: 'ok', failed: 'bad', lost: 'bad', duplicated: 'bad',
    skipped: 'skip', dead_lettered: 'dlq', dropped: 'warn', pending: 'warn', unread: 'skip'
  };
  function badge(state) {
    return el('span', {class: 'badge ' + (STATE_CLASS[state] || 'skip'), text: state});
  }

  // A sortable table. columns: [{title, key(row) -> sort value, cell(row) ->
  // node or text, cls}]. Rows past `limit` are shown on demand.
  function SortedTable(columns, opts) {
    this.columns = columns;
    this.rows = [];
    this.sortCol = opts && opts.sortCol !== undefined ? opts.sortCol : -1;
    this.sortDir = 1;
    this.limit = (opts && opts.limit) || 300;
    this.shown = this.limit;
    this.onRow = opts && opts.onRow;
    this.table = el('table', {class: 'grid'});
    this.more = el('div', {class: 'more'});
    this.node = el('div', {class: 'table-wrap'}, [this.table, this.more]);
  }
  SortedTable.prototype.setRows = function (rows) {
    this.rows = rows;
    this.shown = this.limit;
    this.render();
  };
  SortedTable.prototype.sortBy = function (i) {
    if (this.sortCol === i) this.sortDir = -this.sortDir;
    else { this.sortCol = i; this.sortDir = 1; }
    this.render();
  };
  SortedTable.prototype.render = function () {
    var self = this;
    var rows = this.rows.slice();
    if (this.sortCol >= 0) {
      var key = this.columns[this.sortCol].key;
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * self.sortDir;
      });
    }
    var head = el('tr', {}, this.columns.map(function (c, i) {
      var mark = i === self.sortCol ? (self.sortDir > 0 ? ' \u25b2' : ' \u25bc') : '';
      return el('th', {class: c.cls, title: 'sort', onclick: function () { self.sortBy(i); }},
                [c.title + mark]);
    }));
    var body = el('tbody');
    rows.slice(0, this.shown).forEach(function (r) {
      var tr = el('tr', {}, self.columns.map(function (c) {
        var v = c.cell(r);
        return el('td', {class: c.cls}, [v]);
      }));
      if (self.onRow) {
        tr.classList.add('clickable');
        tr.addEventListener('click', function () { self.onRow(r, tr); });
      }
      if (r.rowClass) tr.classList.add(r.rowClass);
      body.appendChild(tr);
    });
    this.table.textContent = '';
    this.table.appendChild(el('thead', {}, [head]));
    this.table.appendChild(body);
    this.more.textContent = '';
    if (rows.length > this.shown) {
      this.more.appendChild(el('button', {
        text: 'show ' + Math.min(this.limit, rows.length - this.shown) + ' more of ' +
          (rows.length - this.shown),
        onclick: function () { self.shown += self.limit; self.render(); }
      }));
    }
    this.count = rows.length;
  };

  // The page's self-check, read by ci/report_browser_check.sh through
  // chromium --dump-dom: data-ok="1" once everything it checks was drawn.
  function selfcheck(ok, fields) {
    var s = document.getElementById('selfcheck');
    if (!s) return;
    Object.keys(fields || {}).forEach(function (k) { s.setAttribute('data-' + k, fields[k]); });
    s.setAttribute('data-ok', ok ? '1' : '0');
    s.textContent = (ok ? 'selfcheck ok' : 'selfcheck FAILED') + ' ' + JSON.stringify(fields);
  }

  return {
    data: data, el: el, fmtT: fmtT, fmtDur: fmtDur, copy: copy, copyButton: copyButton,
    badge: badge, SortedTable: SortedTable, selfcheck: selfcheck
  };
})();
