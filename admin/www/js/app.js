/* app.js: the hash router, API calls and the widgets the pages share.
 *
 * Each page is an async function render(ctx) registered in App.pages; it
 * fills ctx.main (<main id="page">) and resolves when every fetch is done
 * and every chart drawn. The router then sets body[data-ready] to the
 * page's name; on a failed fetch it shows the API's error in .error and
 * sets it to "error" (WEB-SPEC.md, DOM contract). A page whose navigation
 * was overtaken by another does not touch the DOM any more (ctx.live()). */
'use strict';

const App = (() => {
  const pages = {};
  let generation = 0;
  let charts = [];

  /* ---- API ---------------------------------------------------------- */

  /* The JSON text of every number, by holder object and key, so that
   * data-value can carry the number exactly as the API wrote it. */
  const rawTexts = new WeakMap();

  function parseJSON(text) {
    return JSON.parse(text, function (key, value, ctx) {
      if (typeof value === 'number' && ctx && typeof ctx.source === 'string') {
        let m = rawTexts.get(this);
        if (!m) { m = Object.create(null); rawTexts.set(this, m); }
        m[key] = ctx.source;
      }
      return value;
    });
  }

  /* The JSON text of obj[key]: "" for null or missing. */
  function raw(obj, key) {
    const v = obj ? obj[key] : null;
    if (v === null || v === undefined) return '';
    const m = rawTexts.get(obj);
    if (m && m[key] !== undefined) return m[key];
    return String(v); // browsers without JSON.parse source text access
  }

  class ApiError extends Error {}

  async function api(name, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const url = '/api/' + name + (q.toString() ? '?' + q : '');
    let res;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json' } });
    } catch (e) {
      throw new ApiError('无法连接服务器 (' + url + '): ' + e.message);
    }
    const text = await res.text();
    let body;
    try {
      body = parseJSON(text);
    } catch (e) {
      throw new ApiError(url + ': ' + res.status + ' ' + res.statusText);
    }
    if (!res.ok) {
      throw new ApiError(body && body.error ? body.error : url + ': ' + res.status);
    }
    return body;
  }

  /* Answers that do not change while the page is open, asked once. */
  const once = {};
  function cached(name, params) {
    const key = name + '?' + new URLSearchParams(params || {});
    if (!once[key]) {
      once[key] = api(name, params).catch((e) => { delete once[key]; throw e; });
    }
    return once[key];
  }

  const indicators = () => cached('indicators');
  const regions = () => cached('regions');
  /* The period progress picks by default, and its answer. */
  const progressDefault = () => cached('progress');

  /* The plan's years: baseline (2020), first (2021), target (2025). */
  function planYears(inds) {
    let first = Infinity;
    let last = -Infinity;
    for (const i of inds) {
      if (i.basis === 'cumulative') first = Math.min(first, i.basis_from);
      last = Math.max(last, i.basis_to);
    }
    if (!isFinite(first)) first = 2021;
    if (!isFinite(last)) last = first + 4;
    return { baseline: first - 1, first, last };
  }

  /* The last month a period covers ("2025" -> "2025-12"), not later than
   * last month. */
  function lastMonth(period) {
    const p = String(period).split('..').pop();
    let m;
    if (/^\d{4}$/.test(p)) m = p + '-12';
    else if (/^\d{4}-Q[1-4]$/.test(p)) m = p.slice(0, 4) + '-' + String(3 * +p[6]).padStart(2, '0');
    else m = p;
    const now = new Date();
    const prev = new Date(now.getFullYear(), now.getMonth() - 1, 1);
    const cap = prev.getFullYear() + '-' + String(prev.getMonth() + 1).padStart(2, '0');
    return m > cap ? cap : m;
  }

  /* The same period one year before ("2025-06" -> "2024-06"). */
  function yearBefore(period) {
    return String(period).replace(/\b(\d{4})\b/g, (y) => String(+y - 1));
  }

  /* ---- DOM helpers -------------------------------------------------- */

  /* el('td.value', {dataset: {value: '1'}}, 'text', child...) */
  function el(spec, attrs, ...kids) {
    const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(spec);
    const node = document.createElement(m ? m[1] : spec);
    if (m && m[2]) {
      for (const part of m[2].match(/[.#][\w-]+/g)) {
        if (part[0] === '.') node.classList.add(part.slice(1));
        else node.id = part.slice(1);
      }
    }
    if (attrs !== undefined && attrs !== null &&
        (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
      kids.unshift(attrs);
      attrs = null;
    }
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
      else if (k === 'text') node.textContent = v;
      else if (k === 'className') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid));
    }
    return node;
  }

  /* A link to a route: link('#/region/330100', '杭州市'). */
  const link = (href, text) => el('a', { href }, text);

  function hashOf(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const s = q.toString();
    return '#' + path + (s ? '?' + s : '');
  }

  function go(path, params) {
    location.hash = hashOf(path, params);
  }

  /* A form of selectors whose submission goes to `path` with its values. */
  function selectorForm(path, fields, extra) {
    const form = el('form.selectors');
    for (const f of fields) form.append(el('label', f.label, f.input));
    form.append(el('button', { type: 'submit' }, '查询'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const params = Object.assign({}, extra || {});
      for (const f of fields) params[f.name] = f.input.value.trim();
      go(path, params);
    });
    // Selects apply at once; text inputs on submit.
    for (const f of fields) {
      if (f.input.tagName === 'SELECT') {
        f.input.addEventListener('change', () => form.requestSubmit());
      }
    }
    return form;
  }

  function select(name, options, value) {
    const s = el('select', { name });
    for (const o of options) {
      if (o.group) {
        const g = el('optgroup', { label: o.group });
        for (const p of o.options) g.append(el('option', { value: p.value }, p.text));
        s.append(g);
      } else {
        s.append(el('option', { value: o.value }, o.text));
      }
    }
    if (value !== undefined && value !== null) s.value = value;
    return s;
  }

  function indicatorSelect(inds, value) {
    return select('indicator', inds.map((i) => ({ value: i.code, text: i.no + ' ' + i.name_zh })), value);
  }

  function regionSelect(regs, value) {
    const byParent = {};
    for (const r of regs) (byParent[r.parent] = byParent[r.parent] || []).push(r);
    const opts = [];
    const root = regs.find((r) => r.parent === null);
    if (root) {
      opts.push({ value: root.code, text: root.name_zh });
      opts.push({ group: '市', options: (byParent[root.code] || []).map((c) => ({ value: c.code, text: c.name_zh })) });
      for (const c of byParent[root.code] || []) {
        opts.push({ group: c.name_zh, options: (byParent[c.code] || []).map((k) => ({ value: k.code, text: k.name_zh })) });
      }
    }
    return select('region', opts, value);
  }

  function periodInput(name, value, placeholder) {
    return el('input', { name, type: 'text', value: value || '', placeholder: placeholder || 'YYYY 或 YYYY-MM', size: 10, autocomplete: 'off' });
  }

  /* The reporting count "101/102", flagged when someone is missing. */
  function reporting(row) {
    const s = row.reporting_regions + '/' + row.expected_regions;
    const short = row.reporting_regions < row.expected_regions;
    return el('span', { className: short ? 'reporting short' : 'reporting', title: '已报送地区/应报送地区' }, s);
  }

  /* A value cell: data-value is the API's number text ("" for null). */
  function valueCell(tag, obj, key, text) {
    return el(tag + '.value.num', { dataset: { value: raw(obj, key) } }, text);
  }

  /* ---- charts --------------------------------------------------------- */

  const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  const COLORS = ['#1f5fa8', '#d9822b', '#3a8a4f', '#b8413c', '#7a5aa6', '#5a6a7a'];

  /* Draw a chart in `node`; resolves once ECharts says it has finished
   * rendering (or after a while in any case). */
  function chart(node, option, ctx) {
    const c = echarts.init(node, null, { renderer: 'canvas' });
    charts.push(c);
    const done = new Promise((resolve) => {
      const t = setTimeout(resolve, 4000);
      c.on('finished', () => { clearTimeout(t); resolve(); });
    });
    c.setOption(Object.assign({
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: FONT },
    }, option));
    if (ctx) ctx.charts.push(c);
    return done.then(() => c);
  }

  function disposeCharts() {
    for (const c of charts) if (!c.isDisposed()) c.dispose();
    charts = [];
  }

  window.addEventListener('resize', () => { for (const c of charts) c.resize(); });

  /* ---- router ----------------------------------------------------------- */

  function parseHash() {
    const h = location.hash.replace(/^#/, '') || '/';
    const qi = h.indexOf('?');
    const path = qi < 0 ? h : h.slice(0, qi);
    const params = Object.fromEntries(new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1)));
    const parts = path.split('/').filter(Boolean);
    return { name: parts[0] || 'overview', args: parts.slice(1), params };
  }

  function showError(main, msg) {
    main.querySelectorAll('.loading').forEach((n) => n.remove());
    main.prepend(el('div.error', { role: 'alert' }, msg));
  }

  async function route() {
    const gen = ++generation;
    document.body.dataset.ready = '';
    disposeCharts();
    const old = document.getElementById('page');
    const main = el('main#page');
    old.replaceWith(main);
    const r = parseHash();
    const page = pages[r.name];
    for (const a of document.querySelectorAll('nav a')) {
      a.classList.toggle('active', a.dataset.page === (r.name === 'history' ? 'quality' : r.name));
    }
    const ctx = {
      main, args: r.args, params: r.params, charts: [],
      live: () => gen === generation,
    };
    if (!page) {
      showError(main, '没有这个页面: ' + location.hash);
      document.body.dataset.ready = 'error';
      return;
    }
    main.append(el('p.loading', '正在加载…'));
    try {
      await page.render(ctx);
      if (!ctx.live()) return;
      main.querySelectorAll('.loading').forEach((n) => n.remove());
      document.title = (page.title ? page.title + ' - ' : '') + '浙江省人社规划监测';
      document.body.dataset.ready = page.ready;
    } catch (e) {
      if (!ctx.live()) return;
      if (!(e instanceof ApiError)) console.warn(e); // a bug of ours, not the API's
      showError(main, e.message || String(e));
      document.body.dataset.ready = 'error';
    }
  }

  function start() {
    window.addEventListener('hashchange', route);
    route();
  }

  return {
    pages, api, cached, indicators, regions, progressDefault, planYears,
    lastMonth, yearBefore, raw, el, link, hashOf, go, selectorForm, select,
    indicatorSelect, regionSelect, periodInput, reporting, valueCell, chart,
    FONT, COLORS, start, ApiError,
  };
})();
