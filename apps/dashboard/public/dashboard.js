/*
 * The dashboard's only script (plain JS, no build step). The pages are complete without it; with it:
 * - charts are drawn with uPlot (served from node_modules by the dashboard) from the data embedded in the page;
 * - the overview follows /api/events (Server-Sent Events): `state` messages carry re-rendered panels (the
 *   same server templates as the page), `audit` messages carry new audit events with their DB id as the SSE
 *   id, so a reconnecting browser resumes where it stopped.
 */
(function () {
  'use strict';

  var dataElement = document.getElementById('page-data');
  var pageData = dataElement ? JSON.parse(dataElement.textContent || 'null') : null;
  var NY = 'America/New_York';
  var charts = {};
  // What tests and the latency benchmark read: counts and receive times of the live messages.
  var stats = { states: 0, audits: 0, lastState: null, lastStateAtMs: null, lastAuditId: null, errors: 0, opened: 0, charts: 0, fillsSeen: {} };
  window.__dashboard = stats;

  function tzDate(ts) {
    return uPlot.tzDate(new Date(ts * 1000), NY);
  }

  function money(v) {
    return v == null ? '' : v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function chartWidth(el) {
    return Math.max(320, Math.floor(el.getBoundingClientRect().width || el.clientWidth || 640) - 4);
  }

  /** Points are [snapshot id, market time (epoch s), NAV, drawdown %]: uPlot wants columns. */
  function columns(points) {
    return [points.map(function (p) { return p[1]; }), points.map(function (p) { return p[2]; }), points.map(function (p) { return p[3]; })];
  }

  /** NAV (left axis) and drawdown % (right axis) over market time. */
  function drawIntraday(el, equity) {
    var points = (equity && equity.points) || [];
    if (points.length < 2) return null;
    var data = columns(points);
    var opts = {
      width: chartWidth(el), height: 220, tzDate: tzDate,
      scales: { x: { time: true }, dd: { range: function (u, min) { return [Math.min(min, -0.01), 0]; } } },
      series: [{}, { label: 'NAV', stroke: '#1f77b4', width: 1.5, value: function (u, v) { return money(v); } },
        { label: 'drawdown %', scale: 'dd', stroke: '#c0392b', fill: 'rgba(192,57,43,0.12)', width: 1, value: function (u, v) { return v == null ? '' : v.toFixed(3) + ' %'; } }],
      axes: [{}, { size: 80 }, { scale: 'dd', side: 1, grid: { show: false }, size: 60 }],
    };
    return replaceWithChart(el, opts, data);
  }

  function drawDailyEquity(el, daily) {
    if (!daily || daily.length === 0) return null;
    // The opening equity one day before the first, so a single day is a line from its start to its end.
    var first = Date.parse(daily[0].day + 'T21:00:00Z') / 1000;
    var data = [[first - 86400].concat(daily.map(function (d) { return Date.parse(d.day + 'T21:00:00Z') / 1000; })),
      [daily[0].start].concat(daily.map(function (d) { return d.equity; })),
      [0].concat(daily.map(function (d) { return d.drawdownPct; }))];
    var opts = {
      width: chartWidth(el), height: 240, tzDate: tzDate,
      scales: { x: { time: true }, dd: {} },
      series: [{}, { label: 'equity', stroke: '#1f77b4', width: 1.5, value: function (u, v) { return money(v); } },
        { label: 'drawdown %', scale: 'dd', stroke: '#c0392b', fill: 'rgba(192,57,43,0.12)', width: 1, value: function (u, v) { return v == null ? '' : v.toFixed(2) + ' %'; } }],
      axes: [{}, { size: 80 }, { scale: 'dd', side: 1, grid: { show: false }, size: 60 }],
    };
    return replaceWithChart(el, opts, data);
  }

  function drawDailyPnl(el, daily) {
    if (!daily || daily.length === 0) return null;
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
    var data = [daily.map(function (d) { return Date.parse(d.day + 'T21:00:00Z') / 1000; }),
      daily.map(function (d) { return d.pnl >= 0 ? d.pnl : null; }),
      daily.map(function (d) { return d.pnl < 0 ? d.pnl : null; })];
    var opts = {
      width: chartWidth(el), height: 180, tzDate: tzDate,
      scales: { x: { time: true, range: function (u, min, max) { return [min - 86400, max + 86400]; } } },
      series: [{}, { label: 'gain', stroke: '#2e7d32', fill: 'rgba(46,125,50,0.6)', paths: bars, points: { show: false }, value: function (u, v) { return v == null ? '' : money(v); } },
        { label: 'loss', stroke: '#c0392b', fill: 'rgba(192,57,43,0.6)', paths: bars, points: { show: false }, value: function (u, v) { return v == null ? '' : money(v); } }],
      axes: [{}, { size: 80 }],
    };
    return replaceWithChart(el, opts, data);
  }

  function replaceWithChart(el, opts, data) {
    if (typeof uPlot === 'undefined') return null;
    el.textContent = '';
    var chart = new uPlot(opts, data, el);
    stats.charts += 1;
    return chart;
  }

  function drawCharts() {
    if (!pageData) return;
    document.querySelectorAll('figure[data-chart]').forEach(function (el) {
      var kind = el.getAttribute('data-chart');
      var chart = kind === 'intraday' ? drawIntraday(el, pageData.equity)
        : kind === 'daily-equity' ? drawDailyEquity(el, pageData.daily)
        : kind === 'daily-pnl' ? drawDailyPnl(el, pageData.daily) : null;
      if (chart) charts[el.id] = { chart: chart, kind: kind };
    });
  }

  /** New equity points from a state message, merged by snapshot id; the chart follows. */
  function updateEquity(equity) {
    if (!equity || !pageData) return;
    var current = (pageData.equity && pageData.equity.points) || [];
    var sameDay = pageData.equity && pageData.equity.tradingDay === equity.tradingDay;
    var points = equity.full || !sameDay ? equity.points.slice() : current.slice();
    if (!equity.full && sameDay) {
      var known = {};
      points.forEach(function (p) { known[p[0]] = true; });
      equity.points.forEach(function (p) { if (!known[p[0]]) points.push(p); });
    }
    pageData.equity = { openNav: equity.openNav, tradingDay: equity.tradingDay, points: points };
    var el = document.getElementById('chart-equity');
    if (!el) return;
    var entry = charts['chart-equity'];
    if (entry && points.length >= 2) {
      entry.chart.setData(columns(points));
    } else if (!entry) {
      var chart = drawIntraday(el, pageData.equity);
      if (chart) charts['chart-equity'] = { chart: chart, kind: 'intraday' };
    }
  }

  function setLiveState(text, cls) {
    var el = document.getElementById('live-state');
    if (!el) return;
    el.textContent = text;
    el.className = 'live-state ' + (cls || '');
  }

  function follow() {
    if (!document.body.hasAttribute('data-live') || typeof EventSource === 'undefined') return;
    var since = pageData && pageData.lastEventId ? pageData.lastEventId : 0;
    var source = new EventSource('/api/events?since=' + encodeURIComponent(since));
    // Stops following (a screenshot of one moment, a test); a reload follows again.
    stats.stop = function () {
      source.close();
      setLiveState('paused', 'muted');
    };
    setLiveState('connecting…', 'muted');
    source.addEventListener('open', function () {
      stats.opened += 1;
      setLiveState('live', 'ok');
    });
    source.addEventListener('error', function () {
      stats.errors += 1;
      setLiveState('reconnecting… (the page shows the last update)', 'warn');
    });
    source.addEventListener('state', function (message) {
      var state = JSON.parse(message.data);
      Object.keys(state.panels).forEach(function (id) {
        var el = document.getElementById(id);
        if (el) el.innerHTML = state.panels[id];
      });
      updateEquity(state.equity);
      stats.states += 1;
      stats.lastState = state;
      stats.lastStateAtMs = Date.now();
      // When the newest fill first became visible here (the latency benchmark reads it), with the server's timings.
      var fill = state.summary && state.summary.lastFillExecId;
      if (fill && !stats.fillsSeen[fill]) stats.fillsSeen[fill] = { seenAtMs: stats.lastStateAtMs, changeSeenAtMs: state.timing.changeSeenAtMs, builtAtMs: state.timing.builtAtMs };
      setLiveState('live · updated ' + new Date().toLocaleTimeString(), 'ok');
    });
    source.addEventListener('audit', function (message) {
      var payload = JSON.parse(message.data);
      var body = document.querySelector('#events-table tbody');
      stats.audits += 1;
      stats.lastAuditId = payload.event.id;
      if (!body || body.querySelector('tr[data-event-id="' + payload.event.id + '"]')) return;
      body.insertAdjacentHTML('afterbegin', payload.html);
      while (body.rows.length > 100) body.deleteRow(body.rows.length - 1);
    });
    source.addEventListener('resync', function (message) {
      var payload = JSON.parse(message.data);
      var el = document.getElementById('panel-events-body');
      if (el) el.innerHTML = payload.html;
      stats.lastAuditId = payload.lastEventId;
    });
  }

  drawCharts();
  follow();
})();
