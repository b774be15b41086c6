/* Vigil report: pages, filters and searches the findings embedded in #vigil-data, and
   opens one in a dialog. Every cell is built with textContent, never innerHTML: the
   data holds AWS resource names and tags, which anyone who can tag a resource writes. */
(function () {
  'use strict';
  var node = document.getElementById('vigil-data');
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var rules = data.rules;
  var all = data.findings;
  var byId = function (id) { return document.getElementById(id); };
  var SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];
  var STATUSES = ['FAIL', 'ERROR', 'MUTED', 'PASS'];
  /* The dashboard's findings carry their lifecycle state (`lc`) from the store. */
  var LIFECYCLE = ['NEW', 'OPEN', 'REOPENED', 'RESOLVED', 'MUTED', 'none'];

  /* Each filter: how to read its value(s) off a finding, and the order of its options. */
  var FILTERS = {
    lifecycle: { of: function (f) { return f.lc || 'none'; }, order: LIFECYCLE },
    status: { of: function (f) { return f.s; }, order: STATUSES },
    severity: { of: function (f) { return rules[f.r].severity; }, order: SEVERITIES },
    service: { of: function (f) { return f.sv; } },
    region: { of: function (f) { return f.g; } },
    account: { of: function (f) { return f.a; } },
    caf: { of: function (f) { return rules[f.r].caf; } },
    waf: { of: function (f) { return rules[f.r].waf; } },
    epic: { of: function (f) { return rules[f.r].epics; }, many: true },
    rule: { of: function (f) { return rules[f.r].id; } }
  };
  var state = { page: 0, size: 100, shown: all, query: '', chosen: {} };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  /* Options with counts over all findings, in a fixed order where one exists. A page
     without a filter's select (the report has no lifecycle) goes without it. */
  Object.keys(FILTERS).forEach(function (key) {
    var filter = FILTERS[key];
    var select = byId('f-' + key);
    if (!select) { delete FILTERS[key]; return; }
    var counts = new Map();
    all.forEach(function (f) {
      var v = filter.of(f);
      (filter.many ? v : [v]).forEach(function (x) { counts.set(x, (counts.get(x) || 0) + 1); });
    });
    var values = Array.from(counts.keys());
    if (filter.order) {
      values.sort(function (a, b) { return filter.order.indexOf(a) - filter.order.indexOf(b); });
    } else {
      values.sort();
    }
    values.forEach(function (v) {
      var option = el('option', null, v + ' (' + counts.get(v) + ')');
      option.value = v;
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      state.chosen[key] = select.value;
      apply();
    });
  });

  /* Lower-cased search text per finding, built on the first search only. */
  var haystacks = null;
  function haystack(i) {
    if (!haystacks) {
      haystacks = all.map(function (f) {
        var r = rules[f.r];
        var tags = f.tg ? Object.keys(f.tg).map(function (k) { return k + '=' + f.tg[k]; }).join(' ') : '';
        return [r.id, r.title, f.id, f.n || '', f.t, f.a, f.g, f.rs || '', tags].join('\n').toLowerCase();
      });
    }
    return haystacks[i];
  }

  function apply() {
    var chosen = Object.keys(state.chosen).filter(function (k) { return state.chosen[k]; });
    var terms = state.query.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = [];
    for (var i = 0; i < all.length; i++) {
      var f = all[i];
      var ok = true;
      for (var c = 0; c < chosen.length && ok; c++) {
        var key = chosen[c];
        var v = FILTERS[key].of(f);
        ok = FILTERS[key].many ? v.indexOf(state.chosen[key]) >= 0 : v === state.chosen[key];
      }
      if (ok && terms.length) {
        var h = haystack(i);
        for (var t = 0; t < terms.length && ok; t++) { ok = h.indexOf(terms[t]) >= 0; }
      }
      if (ok) { shown.push(f); }
    }
    state.shown = shown;
    state.page = 0;
    render();
  }

  function row(f) {
    var r = rules[f.r];
    var tr = el('tr');
    tr.tabIndex = 0;
    var st = el('td');
    st.appendChild(el('span', 'st ' + (STATUSES.indexOf(f.s) >= 0 ? f.s : ''), f.s));
    if (f.lc) { st.appendChild(el('div', 'tag lc ' + (LIFECYCLE.indexOf(f.lc) >= 0 ? f.lc : ''), f.lc)); }
    tr.appendChild(st);
    var sev = el('td');
    sev.appendChild(el('span', 'sev ' + (SEVERITIES.indexOf(r.severity) >= 0 ? r.severity : ''), r.severity));
    tr.appendChild(sev);
    var rule = el('td', null, r.title);
    rule.appendChild(el('div', 'small rid', r.id));
    tr.appendChild(rule);
    var res = el('td', 'res', f.n || f.id);
    if (f.n) { res.appendChild(el('div', 'small', f.id)); }
    if (f.p) { res.appendChild(el('div', 'tag fail', 'attack path')); }
    tr.appendChild(res);
    tr.appendChild(el('td', null, f.a));
    tr.appendChild(el('td', null, f.g));
    tr.addEventListener('click', function () { open(f); });
    tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { open(f); } });
    return tr;
  }

  function render(limit) {
    var body = byId('rows');
    var start = limit ? 0 : state.page * state.size;
    var end = limit ? Math.min(limit, state.shown.length) : Math.min(start + state.size, state.shown.length);
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) { fragment.appendChild(row(state.shown[i])); }
    body.replaceChildren(fragment);
    var pages = Math.max(1, Math.ceil(state.shown.length / state.size));
    byId('count').textContent = state.shown.length === 0
      ? 'No finding matches (' + all.length + ' in all).'
      : 'Showing ' + (start + 1) + '–' + end + ' of ' + state.shown.length + ' finding(s) (' + all.length + ' in all).';
    byId('count').dataset.matches = String(state.shown.length);
    byId('page-of').textContent = 'Page ' + (state.page + 1) + ' of ' + pages;
    byId('prev').disabled = state.page === 0;
    byId('next').disabled = state.page >= pages - 1;
  }

  function section(parent, title) {
    parent.appendChild(el('h4', null, title));
  }

  function kv(parent, pairs) {
    var table = el('table', 'kv compact');
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === '') { return; }
      var tr = el('tr');
      tr.appendChild(el('th', null, p[0]));
      tr.appendChild(el('td', null, p[1]));
      table.appendChild(tr);
    });
    parent.appendChild(table);
  }

  function list(parent, title, items) {
    if (!items || !items.length) { return; }
    section(parent, title);
    var ul = el('ul', 'small');
    items.forEach(function (x) { ul.appendChild(el('li', null, x)); });
    parent.appendChild(ul);
  }

  function open(f) {
    var r = rules[f.r];
    byId('detail-title').textContent = f.s + ' — ' + r.title;
    var body = byId('detail-body');
    body.replaceChildren();
    body.dataset.uid = 'vigil:' + r.id + ':' + f.id;
    kv(body, [
      ['Status', f.s + (f.ms ? ' (muted ' + f.ms + ')' : '')],
      ['Lifecycle', f.lc],
      ['First seen', f.fs],
      ['Last seen', f.ls],
      ['Resolved', f.rv],
      ['Reopened', f.ro ? f.ro + ' time(s)' : ''],
      ['Severity', r.severity],
      ['Rule', r.id],
      ['Resource', f.id],
      ['Name', f.n],
      ['Type', f.t],
      ['Account', f.a],
      ['Region', f.g],
      ['Tags', f.tg ? Object.keys(f.tg).map(function (k) { return k + '=' + f.tg[k]; }).join(', ') : ''],
      ['Reason', f.rs]
    ]);
    body.appendChild(el('p', null, r.description));
    if (f.p) {
      section(body, 'Attack path');
      f.p.forEach(function (text) { body.appendChild(el('pre', 'path', text)); });
    }
    var ev = f.ev || {};
    section(body, 'Evidence');
    var props = ev.properties || {};
    var keys = Object.keys(props);
    if (keys.length) {
      kv(body, keys.map(function (k) {
        var v = props[k];
        return [k, typeof v === 'string' ? v : JSON.stringify(v, null, 1)];
      }));
    } else {
      body.appendChild(el('p', 'small', 'No property values recorded.'));
    }
    list(body, 'Not collected', ev.missing);
    list(body, 'Related resources', ev.related);
    list(body, 'Collection gaps', ev.gaps);
    section(body, 'Remediation');
    body.appendChild(el('p', null, r.remediation.text));
    if (r.remediation.cli) { body.appendChild(el('pre', null, r.remediation.cli)); }
    if (r.remediation.terraform) { body.appendChild(el('pre', null, r.remediation.terraform)); }
    section(body, 'Why it matters');
    body.appendChild(el('p', null, r.rationale));
    section(body, 'Mappings');
    kv(body, [
      ['CAF', r.caf + ' — ' + r.capability],
      ['Well-Architected', r.waf + ' — ' + r.practice],
      ['Epics', r.epics.join(', ')],
      ['CIS v3.0.0', r.cis.v3.join(', ')],
      ['CIS v4.0.1', r.cis.v4.join(', ')],
      ['CIS v5.0.0', r.cis.v5.join(', ')],
      ['FSBP', r.fsbp.join(', ')]
    ]);
    /* References are shown as text to copy, not links: the report references nothing
       outside itself. */
    list(body, 'References', r.references);
    var dialog = byId('detail');
    if (typeof dialog.showModal === 'function') { dialog.showModal(); } else { dialog.setAttribute('open', ''); }
  }

  var timer = null;
  byId('f-search').addEventListener('input', function (e) {
    clearTimeout(timer);
    var value = e.target.value;
    timer = setTimeout(function () { state.query = value; apply(); }, 120);
  });
  byId('filters').addEventListener('submit', function (e) { e.preventDefault(); });
  byId('filters').addEventListener('reset', function () {
    state.chosen = {};
    state.query = '';
    setTimeout(apply, 0);
  });
  byId('prev').addEventListener('click', function () { state.page = Math.max(0, state.page - 1); render(); });
  byId('next').addEventListener('click', function () { state.page += 1; render(); });
  byId('page-size').addEventListener('change', function (e) {
    state.size = parseInt(e.target.value, 10) || 100;
    state.page = 0;
    render();
  });

  /* Printing: every framework and criterion list open, and the first rows of the
     current selection in place of one page. */
  var PRINT_ROWS = 500;
  var closed = [];
  window.addEventListener('beforeprint', function () {
    closed = Array.from(document.querySelectorAll('details:not([open])'));
    closed.forEach(function (d) { d.open = true; });
    render(PRINT_ROWS);
    if (state.shown.length > PRINT_ROWS) {
      byId('count').textContent = 'Printed: the first ' + PRINT_ROWS + ' of ' + state.shown.length + ' finding(s) of the current selection.';
    }
  });
  window.addEventListener('afterprint', function () {
    closed.forEach(function (d) { d.open = false; });
    render();
  });

  render();
  document.documentElement.dataset.ready = 'true';
})();
