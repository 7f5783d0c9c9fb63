// The operations page: polls /_local/ops.json every 2 s and redraws the rows, the totals, the
// imaging queue and the token chart. Plain browser JavaScript on purpose (no build step); every
// figure is written with textContent, and its raw number goes into data-value for scripts and tests.
'use strict';

(() => {
  const REFRESH_MS = 2000;
  const WINDOW_LABELS = { '15m': 'last 15 minutes', '1h': 'last hour', '6h': 'last 6 hours', '24h': 'last 24 hours' };
  /** One colour per task, in catalog order; the chart and the row swatches share it. */
  const PALETTE = ['#0e7490', '#7c3aed', '#ea580c', '#16a34a', '#db2777', '#2563eb', '#ca8a04'];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const integer = new Intl.NumberFormat('en-US');
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

  let windowName = readWindow();
  const rows = new Map();
  const colours = new Map();
  let timer;
  let inFlight = false;

  function readWindow() {
    const fromHash = location.hash.replace(/^#/, '');
    return WINDOW_LABELS[fromHash] ? fromHash : '1h';
  }

  // ---- formatting
  const tokens = (n) => (n < 10000 ? integer.format(n) : compact.format(n));
  const percentText = (p) => (p === 0 ? '0%' : p < 0.1 ? '<0.1%' : p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`);
  const latencyText = (ms) => (ms === null ? '–' : ms < 1000 ? `≤ ${ms} ms` : `≤ ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`);
  const dollars = (microUsd) => `$${(microUsd / 1e6).toFixed(microUsd < 10000 && microUsd > 0 ? 4 : 2)}`;
  const level = (p) => (p >= 90 ? 'bad' : p >= 70 ? 'warn' : 'ok');

  /** Sets text and raw value; a changed value flashes once so movement is easy to see. */
  function put(el, text, value) {
    const raw = value === undefined ? text : String(value);
    if (el.dataset.value !== raw && el.dataset.value !== undefined && el.dataset.value !== '') {
      el.classList.remove('changed');
      void el.offsetWidth; // restart the animation
      el.classList.add('changed');
    }
    el.dataset.value = raw;
    el.textContent = text;
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function gauge(field) {
    const box = element('div', 'gauge');
    box.dataset.field = field;
    const line = element('div', 'gauge-line');
    const value = element('span', 'value-main');
    const of = element('span', 'of');
    line.append(value, of);
    const bar = element('div', 'bar');
    const fill = element('span');
    bar.append(fill);
    const note = element('div', 'gauge-note');
    box.append(line, bar, note);
    return { box, value, of, fill, note };
  }

  function setGauge(g, used, limit, usedText, limitText, note) {
    const p = limit > 0 ? (used / limit) * 100 : 0;
    put(g.value, usedText, used);
    g.of.textContent = limitText;
    g.fill.style.width = `${Math.min(100, p)}%`;
    // A sliver stays visible once anything is used, so light use does not read as none.
    if (used > 0 && p < 1.5) g.fill.style.width = '1.5%';
    g.fill.dataset.level = level(p);
    g.box.dataset.percent = String(p);
    g.note.textContent = note;
  }

  function numberCell(field) {
    const td = element('td', 'num');
    const main = element('div', 'value-main');
    main.dataset.field = field;
    const sub = element('div', 'value-sub');
    td.append(main, sub);
    return { td, main, sub };
  }

  function createRow(task, index) {
    const colour = PALETTE[index % PALETTE.length];
    colours.set(task.task, colour);
    const tr = element('tr');
    tr.dataset.task = task.task;

    const nameCell = element('td');
    const name = element('div', 'task-name');
    const swatch = element('span', 'swatch');
    swatch.style.background = colour;
    const label = element('div');
    const title = element('div', 'task-label', task.task);
    const pill = element('span', 'pill hot', 'most pressure');
    pill.hidden = true;
    title.append(pill);
    const sub = element('div', 'task-sub', task.description);
    sub.title = task.description;
    label.append(title, sub);
    name.append(swatch, label);
    nameCell.append(name);

    const concurrency = gauge('concurrency');
    const tpm = gauge('tpm');
    const budget = gauge('budget');
    const cells = [concurrency, tpm, budget].map((g) => {
      const td = element('td');
      td.append(g.box);
      return td;
    });
    const requests = numberCell('requests');
    const tokenCell = numberCell('tokens');
    const throttles = numberCell('throttles');
    const latency = numberCell('p95');
    const cache = numberCell('cache-hits');
    tr.append(nameCell, ...cells, requests.td, tokenCell.td, throttles.td, latency.td, cache.td);
    $('task-rows').append(tr);
    return { tr, pill, concurrency, tpm, budget, requests, tokenCell, throttles, latency, cache };
  }

  function renderRow(task, index, underMostPressure) {
    let row = rows.get(task.task);
    if (!row) {
      row = createRow(task, index);
      rows.set(task.task, row);
    }
    row.pill.hidden = task.task !== underMostPressure;
    row.tr.classList.toggle('hot', task.task === underMostPressure && (task.throttles.lambda + task.throttles.provider > 0 || task.pressurePercent >= 70));
    const c = task.concurrency;
    setGauge(row.concurrency, c.inFlight, c.limit, String(c.inFlight), `of ${integer.format(c.limit)}`, `peak ${c.peak}`);
    const t = task.tokensPerMinute;
    setGauge(row.tpm, t.current, t.ceiling, tokens(t.current), `of ${tokens(t.ceiling)}`, `peak ${tokens(t.peakInWindow)} in window`);
    const b = task.budget;
    setGauge(row.budget, b.committedTokensToday, b.dailyTokenBudget, percentText(b.percent), `of ${tokens(b.dailyTokenBudget)}`, `${tokens(b.committedTokensToday)} tokens`);

    put(row.requests.main, integer.format(task.requests), task.requests);
    row.requests.sub.textContent = task.errors ? `${integer.format(task.errors)} error${task.errors === 1 ? '' : 's'}` : task.fallbacks ? `${task.fallbacks} fallback${task.fallbacks === 1 ? '' : 's'}` : '';
    row.requests.main.classList.toggle('zero', task.requests === 0);

    const total = task.inputTokens + task.outputTokens;
    put(row.tokenCell.main, tokens(total), total);
    row.tokenCell.sub.textContent = total ? `${tokens(task.inputTokens)} in · ${tokens(task.outputTokens)} out` : '';
    row.tokenCell.main.classList.toggle('zero', total === 0);

    const th = task.throttles;
    const throttleTotal = th.lambda + th.provider;
    put(row.throttles.main, integer.format(throttleTotal), throttleTotal);
    row.throttles.main.dataset.lambda = String(th.lambda);
    row.throttles.main.dataset.provider = String(th.provider);
    row.throttles.sub.textContent = `${integer.format(th.lambda)} · ${integer.format(th.provider)}`;
    row.throttles.main.classList.toggle('throttle-hit', throttleTotal > 0);
    row.throttles.main.classList.toggle('zero', throttleTotal === 0);

    put(row.latency.main, latencyText(task.latency.p95Ms), task.latency.p95Ms ?? '');
    row.latency.sub.textContent = task.latency.p50Ms === null ? '' : `p50 ${latencyText(task.latency.p50Ms)}`;
    row.latency.main.classList.toggle('zero', task.latency.p95Ms === null);

    const cache = task.cache;
    put(row.cache.main, cache.enabled ? integer.format(cache.hits) : 'off', cache.hits);
    row.cache.sub.textContent = cache.hitRate === null ? (cache.enabled ? 'no lookups' : 'not cached') : `${Math.round(cache.hitRate * 100)}% hit rate`;
    row.cache.main.classList.toggle('zero', !cache.enabled || cache.hits === 0);
  }

  /** The practices panel: rebuilt on each refresh (at most five rows, ordered by the server). */
  function renderPractices(practices) {
    const body = $('practice-rows');
    const rowsOut = practices.map((p) => {
      const tr = element('tr');
      tr.dataset.practice = p.practiceId;
      tr.dataset.pressure = String(p.pressurePercent);
      tr.classList.toggle('hot', p.shareRefusals > 0 || p.pressurePercent >= 90);
      const nameCell = element('td');
      const name = element('div', 'task-label', p.practiceId);
      const sub = element('div', 'task-sub', `${p.top.task}${p.top.shareSource === 'override' ? ' · override' : ''}`);
      nameCell.append(name, sub);
      const shareCell = element('td');
      const g = gauge('practice-share');
      setGauge(g, p.top.peakDayTokens, p.top.dailyTokensShare, percentText(p.top.peakDayPercent), `of ${tokens(p.top.dailyTokensShare)}`, `${tokens(p.top.peakDayTokens)} tokens on its busiest day`);
      shareCell.append(g.box);
      const requests = numberCell('requests');
      requests.main.textContent = integer.format(p.requests);
      const cost = numberCell('cost');
      cost.main.textContent = dollars(p.costMicroUsd);
      const refused = numberCell('refused');
      refused.main.textContent = integer.format(p.shareRefusals + p.budgetRefusals);
      refused.main.dataset.share = String(p.shareRefusals);
      refused.main.dataset.budget = String(p.budgetRefusals);
      refused.main.classList.toggle('throttle-hit', p.shareRefusals + p.budgetRefusals > 0);
      refused.sub.textContent = `${integer.format(p.shareRefusals)} · ${integer.format(p.budgetRefusals)}`;
      tr.append(nameCell, shareCell, requests.td, cost.td, refused.td);
      return tr;
    });
    body.replaceChildren(...rowsOut);
    $('practices-empty').hidden = practices.length > 0;
  }

  function renderSummary(snapshot) {
    const sum = (pick) => snapshot.tasks.reduce((total, t) => total + pick(t), 0);
    const requests = sum((t) => t.requests);
    const tokenTotal = sum((t) => t.inputTokens + t.outputTokens);
    const lambda = sum((t) => t.throttles.lambda);
    const provider = sum((t) => t.throttles.provider);
    const hits = sum((t) => t.cache.hits);
    const lookups = hits + sum((t) => t.cache.misses);

    put($('total-requests'), integer.format(requests), requests);
    $('total-requests-note').textContent = `provider calls, ${WINDOW_LABELS[snapshot.window.name]}`;
    put($('total-tokens'), tokens(tokenTotal), tokenTotal);
    $('total-cost').textContent = `${dollars(sum((t) => t.costMicroUsd))} at catalog prices`;
    put($('total-throttles'), integer.format(lambda + provider), lambda + provider);
    $('total-throttles').classList.toggle('alert', lambda + provider > 0);
    $('total-throttles-note').textContent = `Lambda ${integer.format(lambda)} · provider ${integer.format(provider)}`;
    put($('total-cache'), lookups ? `${Math.round((hits / lookups) * 100)}%` : '–', lookups ? hits / lookups : '');
    $('total-cache-note').textContent = lookups ? `${integer.format(hits)} hits of ${integer.format(lookups)} lookups` : 'no cacheable requests yet';

    const hot = snapshot.tasks.find((t) => t.task === snapshot.underMostPressure);
    $('pressure-task').textContent = hot ? hot.task : '–';
    $('pressure-task').style.textTransform = hot ? 'capitalize' : '';
    $('pressure-note').textContent = hot ? pressureReason(hot) : 'no traffic yet';
  }

  function pressureReason(t) {
    if (t.throttles.lambda) return `${t.throttles.lambda} Lambda throttles at limit ${t.concurrency.limit}`;
    if (t.throttles.provider) return `${t.throttles.provider} provider 429s`;
    return `${percentText(t.pressurePercent)} of its tightest limit`;
  }

  function renderQueue(q) {
    put($('queue-depth'), integer.format(q.depth), q.depth);
    put($('queue-inflight'), integer.format(q.inFlight), q.inFlight);
    put($('queue-delayed'), integer.format(q.delayed), q.delayed);
    put($('queue-dead'), integer.format(q.deadLetters), q.deadLetters);
    $('queue-dead').parentElement.classList.toggle('alert', q.deadLetters > 0);
    $('queue-hint').textContent = `dead letter after ${q.maxReceiveCount} receives`;
    $('worker-text').textContent = `${q.workerInFlight} of ${q.workerLimit}`;
    const p = q.workerLimit ? (q.workerInFlight / q.workerLimit) * 100 : 0;
    $('worker-bar').style.width = `${p}%`;
    $('worker-bar').dataset.level = level(p);
    const failed = q.workerErrors + q.workerTimeouts;
    $('worker-note').textContent = `${integer.format(q.workerInvocations)} batch${q.workerInvocations === 1 ? '' : 'es'} handled · ${failed ? `${integer.format(failed)} failed` : 'none failed'} · at most ${q.maxConcurrency} at once`;
  }

  // ---- chart
  function niceCeiling(max) {
    if (max <= 0) return 100;
    const magnitude = 10 ** Math.floor(Math.log10(max));
    for (const step of [1, 2, 4, 6, 8, 10]) if (step * magnitude >= max) return step * magnitude;
    return 10 * magnitude;
  }

  function svg(tag, attributes, text) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function renderChart(series) {
    const host = $('chart');
    const width = Math.max(320, host.clientWidth - 20);
    const height = 240;
    const pad = { left: 52, right: 12, top: 14, bottom: 26 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const names = Object.keys(series.tokens);
    const count = series.minutes.length;
    const max = Math.max(0, ...names.flatMap((n) => series.tokens[n]));
    const top = Math.max(100, niceCeiling(max));
    const x = (i) => pad.left + (count <= 1 ? 0 : (i / (count - 1)) * plotW);
    const y = (v) => pad.top + plotH - (v / top) * plotH;

    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Tokens per minute per task over the last 60 minutes' });
    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    for (let i = 0; i <= 4; i++) {
      const value = (top / 4) * i;
      grid.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value) }));
      axis.append(svg('text', { x: pad.left - 8, y: y(value) + 4, 'text-anchor': 'end' }, tokens(value)));
    }
    for (const minutesAgo of [60, 45, 30, 15, 0]) {
      const i = Math.max(0, count - 1 - minutesAgo);
      const anchor = minutesAgo === 60 ? 'start' : minutesAgo === 0 ? 'end' : 'middle';
      axis.append(svg('text', { x: x(i), y: height - 6, 'text-anchor': anchor }, minutesAgo === 0 ? 'now' : `−${minutesAgo} min`));
    }
    root.append(grid, axis);

    for (const name of names) {
      const values = series.tokens[name];
      if (!values.some((v) => v > 0)) continue;
      const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const line = svg('polyline', { class: 'series', points, stroke: colours.get(name) ?? '#64748b' });
      line.dataset.task = name;
      line.append(svg('title', {}, `${name}: ${tokens(values[values.length - 1])} tokens this minute`));
      root.append(line);
      const last = values.length - 1;
      root.append(svg('circle', { cx: x(last), cy: y(values[last]), r: 3, fill: colours.get(name) ?? '#64748b' }));
    }
    if (max === 0) root.append(svg('text', { class: 'empty', x: pad.left + plotW / 2, y: pad.top + plotH / 2, 'text-anchor': 'middle' }, 'No tokens spent in the last hour yet'));
    host.replaceChildren(root);

    const legend = $('legend');
    legend.replaceChildren(
      ...names.map((name) => {
        const item = element('li');
        const swatch = element('span', 'swatch');
        swatch.style.background = colours.get(name) ?? '#64748b';
        const values = series.tokens[name];
        const peak = Math.max(0, ...values);
        item.append(swatch, element('span', '', name), element('span', 'legend-value', peak ? `peak ${tokens(peak)}/min` : 'idle'));
        return item;
      }),
    );
  }

  // ---- refresh loop
  function setStatus(state, text) {
    $('status').dataset.state = state;
    $('status-text').textContent = text;
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const response = await fetch(`/_local/ops.json?window=${encodeURIComponent(windowName)}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const snapshot = await response.json();
      snapshot.tasks.forEach((task, index) => renderRow(task, index, snapshot.underMostPressure));
      renderSummary(snapshot);
      renderPractices(snapshot.practices ?? []);
      renderQueue(snapshot.imagingQueue);
      renderChart(snapshot.series);
      $('window-hint').textContent = `Counts over the ${WINDOW_LABELS[snapshot.window.name]} · budget per UTC day · concurrency and tokens/min live`;
      const at = new Date(snapshot.generatedAt);
      setStatus('live', `Live · updated ${at.toLocaleTimeString('en-GB', { hour12: false })}`);
      document.body.dataset.refreshedAt = snapshot.generatedAt;
    } catch (error) {
      setStatus('error', `Not reachable (${error.message}); retrying`);
    } finally {
      inFlight = false;
    }
  }

  function selectWindow(name) {
    windowName = name;
    for (const button of document.querySelectorAll('#window-picker button')) button.setAttribute('aria-pressed', String(button.dataset.window === name));
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    refresh();
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const button of document.querySelectorAll('#window-picker button')) button.addEventListener('click', () => selectWindow(button.dataset.window));
    selectWindow(windowName);
    timer = setInterval(refresh, REFRESH_MS);
    window.addEventListener('resize', () => refresh());
  });
  window.addEventListener('pagehide', () => clearInterval(timer));
})();
