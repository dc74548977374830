/* pages-region.js: a region's page (地区: every indicator against its
 * targets, and its own report beside each child's) and the series page
 * (序列: one indicator of one region over time). */
'use strict';

(() => {
  const { el, link, api } = App;

  /* Province > city > county, as links. */
  function breadcrumb(regs, code) {
    const byCode = Object.fromEntries(regs.map((r) => [r.code, r]));
    const chain = [];
    for (let r = byCode[code]; r; r = byCode[r.parent]) chain.unshift(r);
    const out = el('div.links');
    chain.forEach((r, i) => {
      if (i > 0) out.append(el('span.muted', '›'));
      out.append(i === chain.length - 1 ? el('strong', r.name_zh + ' ' + r.code) : link('#/region/' + r.code, r.name_zh));
    });
    return out;
  }

  const LEVEL = { province: '省', city: '市', county: '县（市、区）' };

  /* ---- region ------------------------------------------------------- */

  async function region(ctx) {
    const want = decodeURIComponent(ctx.args[0] || '');
    const [inds, regs, def] = await Promise.all([App.indicators(), App.regions(), App.progressDefault()]);
    const root = regs.find((r) => r.parent === null);
    const code0 = want || (root ? root.code : '');
    const period = ctx.params.period || def.period;
    const prog = await api('progress', { region: code0, period });
    const code = prog.region;
    const reg = regs.find((r) => r.code === code) || { code, name_zh: code, level: '' };
    const isRoot = root && code === root.code;
    const children = regs.filter((r) => r.parent === code);
    const byCode = Object.fromEntries(inds.map((i) => [i.code, i]));
    const main = ctx.main;
    main.dataset.region = code;
    main.dataset.period = prog.period;

    main.append(
      el('h1', reg.name_zh + (LEVEL[reg.level] ? '（' + LEVEL[reg.level] + '）' : '')),
      breadcrumb(regs, code),
      App.selectorForm('/region/' + code, [{ name: 'period', label: '统计期', input: App.periodInput('period', period) }]),
      el('p.sub', '统计期 ' + prog.period + (isRoot ? '' : prog.targets === 'none'
        ? '。本地区没有自己的目标（规划目标为全省的），只显示数值及占全省比重。'
        : '。目标为本地区自己的（targets.csv）。')));

    if (children.length) {
      const box = el('div.links', el('span.muted', '下级地区：'));
      // A district the map change created or abolished shows its months
      // (hrssctl regions' valid column): 下城区 (..2021-03).
      const months = (c) => (c.valid_from || c.valid_to ? ' (' + (c.valid_from || '') + '..' + (c.valid_to || '') + ')' : '');
      for (const c of children) box.append(link(App.hashOf('/region/' + c.code, { period: ctx.params.period }), c.name_zh + months(c)));
      main.append(box);
    }

    // Every indicator against this region's own targets.
    const tbody = el('tbody');
    const head = [el('th', '指标'), el('th', '单位')];
    if (isRoot) head.push(el('th.num', '基期'));
    head.push(el('th.num', '目标'), el('th.num', '现值'), el('th.num', '完成'), el('th', '进度'));
    if (!isRoot) head.push(el('th.num', '占全省'));
    head.push(el('th.num', '报送地区'), el('th', ''));
    for (const row of prog.indicators) {
      const tr = el('tr', { dataset: { indicator: row.indicator } },
        el('td.name', link(App.hashOf('/series', { indicator: row.indicator, region: code, by: 'month' }), row.name_zh)),
        el('td.unit', row.display_unit));
      if (isRoot) tr.append(el('td.num', row.baseline === null ? '' : Fmt.planned(row, row.baseline)));
      tr.append(
        el('td.num', row.target === null ? '-' : Fmt.planned(row, row.target, row.basis === 'cumulative')),
        App.valueCell('td', row, 'value', Fmt.measure(row, row.value)),
        el('td.num', Fmt.share(row.share)),
        el('td', App.statusBadge(row)));
      if (!isRoot) tr.append(el('td.num', Fmt.share(row.share_of_province)));
      tr.append(el('td.num', App.reporting(row)),
        el('td', link(App.hashOf('/map', { indicator: row.indicator, period: prog.period }), '地图')));
      tbody.append(tr);
    }
    main.append(el('h2', '规划指标'),
      el('div.tablewrap', el('table.progress', el('thead', el('tr', head)), tbody)),
      el('p.note', '数值为规划单位；〔〕为累计目标，现值为累计至统计期末。'));

    if (!children.length) return;

    // Its own report and each child's total, one breakdown per indicator.
    const bds = await Promise.all(prog.indicators.map((r) =>
      api('breakdown', { indicator: r.indicator, period: prog.period, region: code })));
    if (!ctx.live()) return;
    const cols = bds[0].children.map((c) => c.region);
    const nameOf = Object.fromEntries(regs.map((r) => [r.code, r.name_zh]));
    const htr = el('tr', el('th', '指标'), el('th', '单位'), el('th.num', '本级'));
    for (const c of cols) htr.append(el('th.num', link(App.hashOf('/region/' + c, { period: ctx.params.period }), nameOf[c] || c)));
    htr.append(el('th.num', '合计'));
    const bbody = el('tbody');
    bds.forEach((bd) => {
      const ind = byCode[bd.own.indicator] || {};
      const cell = (f) => el('td.num', { title: f.reporting_regions + '/' + f.expected_regions + ' 已报送' },
        Fmt.figure(f.kind, f.value));
      const tr = el('tr', el('td.name', ind.name_zh || bd.own.indicator), el('td.unit', App.rawUnit(ind)), cell(bd.own));
      for (const c of bd.children) tr.append(cell(c));
      tr.append(el('td.num', el('strong', Fmt.figure(bd.total.kind, bd.total.value))));
      bbody.append(tr);
    });
    main.append(el('h2', '本级与下级地区（' + prog.period + '）'),
      el('div.tablewrap', el('table.breakdown', el('thead', htr), bbody)),
      el('p.note', '与 hrssctl breakdown 相同：本级为本地区自己的报送，各下级为其合计（含其下级），合计为本级与各下级之和；比率按分子、分母分别汇总。'));
  }

  App.pages.region = { ready: 'region', title: '地区', render: region };

  /* ---- series ------------------------------------------------------- */

  const MONTHS = Array.from({ length: 12 }, (_, i) => (i + 1) + '月');

  async function series(ctx) {
    const [inds, regs, def] = await Promise.all([App.indicators(), App.regions(), App.progressDefault()]);
    const root = regs.find((r) => r.parent === null);
    const code = ctx.params.indicator || inds[0].code;
    const regionCode = ctx.params.region || (root ? root.code : '');
    const by = ctx.params.by === 'year' ? 'year' : 'month';
    const years = App.planYears(inds);
    const to = App.lastMonth(def.period);
    const from = years.first + '-01';
    const main = ctx.main;
    main.dataset.period = from + '..' + to;
    main.append(el('h1', '指标序列'),
      App.selectorForm('/series', [
        { name: 'indicator', label: '指标', input: App.indicatorSelect(inds, code) },
        { name: 'region', label: '地区', input: App.regionSelect(regs, regionCode) },
        { name: 'by', label: '频度', input: App.select('by', [{ value: 'month', text: '月度' }, { value: 'year', text: '年度' }], by) },
      ]));

    const rows = await api('series', { indicator: code, region: regionCode, from, to, by });
    const first = rows[0] || {};
    const ind = inds.find((i) => i.code === first.indicator) || inds.find((i) => i.code === code) || inds[0];
    const reg = regs.find((r) => r.code === first.region) || { code: regionCode, name_zh: regionCode };
    main.dataset.region = reg.code;
    const bars = ind.over_time === 'sum' && ind.kind !== 'ratio';
    const kind = ind.kind;
    const unit = ind.unit;
    const disp = (v) => (v === null || v === undefined ? null : Fmt.display(ind, v));
    const dec = Fmt.decimals(ind);
    const fmtAxis = (v) => Fmt.fixed(v, dec);

    main.append(el('p.sub', ind.name_zh + ' · ' + reg.name_zh + ' · ' + from + ' 至 ' + to + ' · ' +
      (bars ? '流量（期内合计）' : ind.kind === 'ratio' ? '比率' : '存量（期末数）') + ' · 图中单位：' + unit),
      el('div.links', link(App.hashOf('/region/' + reg.code), '打开' + reg.name_zh + '页面'),
        link(App.hashOf('/map', { indicator: ind.code }), '各市地图'),
        link(App.hashOf('/series', { indicator: ind.code, region: reg.code, by: by === 'month' ? 'year' : 'month' }),
          by === 'month' ? '看年度' : '看月度')));

    const byPeriod = Object.fromEntries(rows.map((r) => [r.period, r]));
    const lastYearOf = (p) => byPeriod[App.yearBefore(p)];
    const type = bars ? 'bar' : 'line';
    const tooltip = {
      trigger: 'axis',
      valueFormatter: (v) => (v === null || v === undefined || isNaN(v) ? '-' : Fmt.fixed(v, dec) + ' ' + unit),
    };
    const yAxis = { type: 'value', name: unit, scale: !bars, axisLabel: { formatter: fmtAxis } };
    const draws = [];

    if (by === 'month') {
      // This year against last year, month by month.
      const last = rows.filter((r) => r.value !== null).pop() || rows[rows.length - 1];
      const y = last ? +last.period.slice(0, 4) : +to.slice(0, 4);
      const pick = (yr) => MONTHS.map((_, i) => {
        const r = byPeriod[yr + '-' + String(i + 1).padStart(2, '0')];
        return r ? disp(r.value) : null;
      });
      const c1 = el('div.chart');
      const c2 = el('div.chart');
      main.append(el('h2', y + ' 年与 ' + (y - 1) + ' 年逐月对比'), c1, el('h2', '逐月走势'), c2);
      draws.push(App.chart(c1, {
        tooltip, legend: { top: 8 }, grid: { left: 70, right: 24, top: 48, bottom: 32 },
        xAxis: { type: 'category', data: MONTHS },
        yAxis,
        series: [
          { name: (y - 1) + ' 年', type, data: pick(y - 1), color: '#9aa7b5' },
          { name: y + ' 年', type, data: pick(y), color: '#1f5fa8' },
        ],
      }, ctx));
      draws.push(App.chart(c2, {
        tooltip, grid: { left: 70, right: 24, top: 32, bottom: 56 },
        dataZoom: [{ type: 'slider', height: 18, bottom: 8 }],
        xAxis: { type: 'category', data: rows.map((r) => r.period) },
        yAxis,
        series: [{ name: ind.name_zh, type, data: rows.map((r) => disp(r.value)), color: '#1f5fa8' }],
      }, ctx));
    } else {
      const c1 = el('div.chart');
      main.append(el('h2', '逐年走势与上年'), c1);
      draws.push(App.chart(c1, {
        tooltip, legend: { top: 8 }, grid: { left: 70, right: 24, top: 48, bottom: 32 },
        xAxis: { type: 'category', data: rows.map((r) => r.period) },
        yAxis,
        series: [
          { name: '上年', type, data: rows.map((r) => { const l = lastYearOf(r.period); return l ? disp(l.value) : null; }), color: '#9aa7b5' },
          { name: '本年', type, data: rows.map((r) => disp(r.value)), color: '#1f5fa8' },
        ],
      }, ctx));
    }

    // The figures, newest first, as hrssctl series shows them.
    const tbody = el('tbody');
    for (const r of rows.slice().reverse()) {
      const l = lastYearOf(r.period);
      tbody.append(el('tr', { dataset: { period: r.period } },
        el('td', r.period),
        App.valueCell('td', r, 'value', Fmt.figure(kind, r.value, r.numerator, r.denominator, true)),
        el('td.num', l ? Fmt.figure(kind, l.value) : '-'),
        el('td.num', l ? Fmt.change(kind, r.value, l.value) : '-'),
        el('td.num', App.reporting(r))));
    }
    main.append(el('h2', '数据'),
      el('div.tablewrap', el('table.series', el('thead', el('tr',
        el('th', '期'), el('th.num', '数值（' + App.rawUnit(ind) + '）'), el('th.num', '上年同期'),
        el('th.num', '增减'), el('th.num', '报送地区'))), tbody)));
    await Promise.all(draws);
  }

  App.pages.series = { ready: 'series', title: '序列', render: series };
})();
