/* pages-plan.js: the overview (概览: the plan's 19 indicators against
 * their targets) and the map (地图: the 11 cities coloured by one
 * indicator). */
'use strict';

(() => {
  const { el, link, api } = App;

  /* The unit of a raw figure: 万人 -> 人, 万张 -> 张, % stays. */
  function rawUnit(ind) {
    return ind.kind === 'ratio' ? '%' : String(ind.unit || '').replace(/^万/, '');
  }
  App.rawUnit = rawUnit;

  /* Where a period ends on a year axis: "2025" -> 2025, "2024-06" ->
   * 2023.5 (end of June 2024). */
  function yearEnd(p) {
    p = String(p).split('..').pop();
    const y = +p.slice(0, 4);
    if (/^\d{4}-\d{2}$/.test(p)) return y - 1 + (+p.slice(5)) / 12;
    if (/^\d{4}-Q[1-4]$/.test(p)) return y - 1 + (+p[6]) / 4;
    return y;
  }

  function statusBadge(row) {
    if (row.on_track === null || row.on_track === undefined) {
      return el('span.status.none', row.target === null ? '无目标' : '无数据');
    }
    return row.on_track ? el('span.status.on', '进度正常') : el('span.status.behind', '进度滞后');
  }
  App.statusBadge = statusBadge;

  /* ---- overview ------------------------------------------------------ */

  async function overview(ctx) {
    const period = ctx.params.period;
    const [inds, prog] = await Promise.all([
      App.indicators(),
      period ? api('progress', { period }) : App.progressDefault(),
    ]);
    const years = App.planYears(inds);
    const byCode = Object.fromEntries(inds.map((i) => [i.code, i]));
    const main = ctx.main;
    main.dataset.period = prog.period;

    const rows = prog.indicators;
    const onTrack = rows.filter((r) => r.on_track === true).length;
    const behind = rows.filter((r) => r.on_track === false).length;
    const targetYear = rows.reduce((m, r) => Math.max(m, r.target_year || 0), 0) || years.last;

    main.append(
      el('h1', '规划主要指标完成情况'),
      el('p.sub', '浙江省 · 统计期 ' + prog.period + '（累计指标为 ' + years.first + ' 年起累计；水平指标为该期数值）'),
      App.selectorForm('/', [{ name: 'period', label: '统计期', input: App.periodInput('period', period || prog.period) }]),
      el('div.cards',
        el('div.card', el('div.k', '指标'), el('div.v', rows.length)),
        el('div.card.good', el('div.k', '进度正常'), el('div.v', onTrack)),
        el('div.card.bad', el('div.k', '进度滞后'), el('div.v', behind)),
        el('div.card', el('div.k', '报送地区'), el('div.v', rows.length ? rows[0].reporting_regions + '/' + rows[0].expected_regions : '-'))));

    const tbody = el('tbody');
    const table = el('table.overview',
      el('thead', el('tr',
        el('th.num', '序号'), el('th', '指标'), el('th', '单位'),
        el('th.num', years.baseline + ' 基期'), el('th.num', targetYear + ' 目标'),
        el('th.num', '现值'), el('th.num', '完成'), el('th', '进度'), el('th.num', '应达'),
        el('th.num', '报送地区'), el('th', years.baseline + '–' + targetYear + ' 走势（实线：实际；虚线：至目标的直线）'))),
      tbody);
    main.append(el('div.tablewrap', table),
      el('p.note', '〔〕为五年累计目标；现值为累计至统计期末的数值。进度：实际值不低于（“不高于”类指标不高于）从基期（或 0）到目标的直线上的应达值为正常。报送地区：已报送/应报送（含本级）。'));

    const draws = [];
    for (const row of rows) {
      const ind = byCode[row.indicator] || row;
      const cum = row.basis === 'cumulative';
      const spark = el('div.spark');
      const tr = el('tr', { dataset: { indicator: row.indicator } },
        el('td.num', ind.no || ''),
        el('td.name', link(App.hashOf('/series', { indicator: row.indicator, region: prog.region, by: 'year' }), row.name_zh)),
        el('td.unit', row.display_unit),
        el('td.num', row.baseline === null ? '' : Fmt.planned(row, row.baseline)),
        el('td.num', Fmt.planned(row, row.target, cum)),
        App.valueCell('td', row, 'value', Fmt.measure(row, row.value)),
        el('td.num', Fmt.share(row.share)),
        el('td', statusBadge(row)),
        el('td.num.muted', row.expected === null ? '-' : Fmt.measure(row, row.expected)),
        el('td.num', App.reporting(row)),
        el('td.sparkcell', spark));
      tbody.append(tr);
      draws.push(drawPath(ctx, spark, row, years, prog));
    }
    await Promise.all(draws);
  }

  /* The indicator's path from the baseline year to the period against the
   * straight line to its target, in plan units. */
  async function drawPath(ctx, node, row, years, prog) {
    const ind = row;
    const cum = row.basis === 'cumulative';
    const p = String(prog.period);
    const isYear = /^\d{4}$/.test(p);
    const lastFull = isYear ? +p : +p.slice(0, 4) - 1;
    let series = [];
    if (lastFull >= years.first) {
      series = await api('series', {
        indicator: row.indicator, region: prog.region, by: 'year',
        from: String(years.first), to: String(lastFull),
      });
    }
    const path = [];
    let sum = 0;
    if (cum) path.push([years.baseline, 0]);
    else if (row.baseline !== null) path.push([years.baseline, Fmt.display(ind, row.baseline)]);
    for (const s of series) {
      if (s.value === null) { path.push([+s.period, null]); continue; }
      sum += s.value;
      path.push([+s.period, Fmt.display(ind, cum ? sum : s.value)]);
    }
    if (!isYear && row.value !== null) path.push([yearEnd(p), Fmt.display(ind, row.value)]);

    const ty = row.target_year || years.last;
    const target = Fmt.display(ind, row.target);
    let line = [];
    if (target !== null) {
      const start = cum ? 0 : row.baseline !== null ? Fmt.display(ind, row.baseline) : target;
      line = [[years.baseline, start], [ty, target]];
    }
    const label = (x) => (x === Math.floor(x) ? String(x) : p);
    const dec = Fmt.decimals(ind);
    return App.chart(node, {
      grid: { left: 4, right: 4, top: 6, bottom: 6 },
      xAxis: { type: 'value', min: years.baseline, max: Math.max(ty, lastFull), show: false },
      yAxis: { type: 'value', scale: true, show: false },
      tooltip: {
        trigger: 'item', confine: true, textStyle: { fontSize: 12 },
        formatter: (it) => (it.seriesIndex === 0 ? label(it.value[0]) + '：' : '目标线 ' + label(it.value[0]) + '：') +
          Fmt.fixed(it.value[1], dec) + ' ' + row.display_unit,
      },
      series: [
        { type: 'line', data: path, symbolSize: 4, lineStyle: { width: 2 }, connectNulls: false,
          color: row.on_track === false ? '#b3362f' : '#1f5fa8' },
        { type: 'line', data: line, symbol: 'none', lineStyle: { width: 1, type: 'dashed', color: '#8a96a3' }, color: '#8a96a3' },
      ],
    }, ctx);
  }

  App.pages.overview = { ready: 'overview', title: '概览', render: overview };

  /* ---- map ------------------------------------------------------------- */

  let mapRegistered = null;
  function registerMap() {
    if (!mapRegistered) {
      mapRegistered = fetch('/zhejiang-cities.geojson').then(async (res) => {
        if (!res.ok) throw new App.ApiError('地图数据 /zhejiang-cities.geojson: ' + res.status);
        const geo = await res.json();
        for (const f of geo.features) {
          // ECharts puts a region's label at properties.cp.
          if (f.properties.label_point) f.properties.cp = f.properties.label_point;
        }
        echarts.registerMap('zhejiang', geo);
      }).catch((e) => { mapRegistered = null; throw e; });
    }
    return mapRegistered;
  }

  const MODES = [
    { value: 'value', text: '数值' },
    { value: 'change', text: '比上年同期增减' },
    { value: 'share', text: '目标完成度（有目标的市）' },
  ];

  async function map(ctx) {
    const [inds, regs, def] = await Promise.all([App.indicators(), App.regions(), App.progressDefault()]);
    const code = ctx.params.indicator || inds[0].code;
    const ind = inds.find((i) => i.code === code || i.name_zh === code);
    const period = ctx.params.period || def.period;
    const mode = MODES.some((m) => m.value === ctx.params.mode) ? ctx.params.mode : 'value';
    const main = ctx.main;
    main.dataset.period = period;
    main.append(
      el('h1', '各市分布'),
      App.selectorForm('/map', [
        { name: 'indicator', label: '指标', input: App.indicatorSelect(inds, ind ? ind.code : code) },
        { name: 'period', label: '统计期', input: App.periodInput('period', period) },
        { name: 'mode', label: '着色', input: App.select('mode', MODES, mode) },
      ]));

    const root = regs.find((r) => r.parent === null);
    const cities = regs.filter((r) => root && r.parent === root.code);
    const jobs = [
      api('breakdown', { indicator: code, period }),
      mode === 'change' ? api('breakdown', { indicator: code, period: App.yearBefore(period) }) : null,
      mode === 'share' ? Promise.all(cities.map((c) => api('progress', { region: c.code, period }))) : null,
      api('total', { indicator: code, period }),
      registerMap(),
    ];
    const [bd, bdLast, progs, total] = await Promise.all(jobs);
    const indicator = ind || inds.find((i) => i.code === bd.own.indicator);
    const kind = bd.own.kind;
    const unit = rawUnit(indicator);
    const lastBy = {};
    if (bdLast) for (const c of bdLast.children) lastBy[c.region] = c;
    const shareBy = {};
    if (progs) {
      progs.forEach((p, i) => {
        shareBy[cities[i].code] = p.indicators.find((r) => r.indicator === indicator.code);
      });
    }
    const nameOf = Object.fromEntries(regs.map((r) => [r.code, r.name_zh]));

    /* The figure each city is coloured by, and its text. */
    function metric(c) {
      if (mode === 'change') {
        const l = lastBy[c.region];
        if (c.value === null || !l || l.value === null) return [null, '-'];
        return [c.value - l.value, Fmt.change(kind, c.value, l.value)];
      }
      if (mode === 'share') {
        const r = shareBy[c.region];
        if (!r || r.share === null) return [null, '-'];
        return [100 * r.share, Fmt.share(r.share)];
      }
      return [c.value === null ? null : kind === 'ratio' ? 100 * c.value : c.value, Fmt.figure(kind, c.value)];
    }

    const data = bd.children.map((c) => {
      const [v, text] = metric(c);
      return { name: nameOf[c.region] || c.region, value: v, code: c.region, text, row: c };
    });
    const vals = data.map((d) => d.value).filter((v) => v !== null);
    const modeText = MODES.find((m) => m.value === mode).text;

    main.append(el('p.sub', indicator.name_zh + ' · ' + period + ' · ' + modeText +
      ' · 全省合计 ' + Fmt.figure(kind, total.value) + (kind === 'ratio' ? '' : ' ' + unit) +
      '（报送 ' + total.reporting_regions + '/' + total.expected_regions + '）'));

    const mapNode = el('div#map');
    const tbody = el('tbody');
    const head = [el('th', '城市'), el('th.num', '数值（' + unit + '）'), el('th.num', '报送地区')];
    if (mode === 'change') head.push(el('th.num', '上年同期'), el('th.num', '增减'));
    if (mode === 'share') head.push(el('th.num', '目标'), el('th.num', '完成'), el('th', '进度'));
    for (const d of data) {
      const c = d.row;
      const tr = el('tr', { dataset: { region: c.region }, title: '打开 ' + d.name },
        el('td', link('#/region/' + c.region, d.name)),
        App.valueCell('td', c, 'value', Fmt.figure(kind, c.value)),
        el('td.num', App.reporting(c)));
      if (mode === 'change') {
        const l = lastBy[c.region];
        tr.append(el('td.num', l ? Fmt.figure(kind, l.value) : '-'),
          el('td.num', { className: 'num ' + (d.value > 0 ? 'pos' : d.value < 0 ? 'neg' : '') }, d.text));
      }
      if (mode === 'share') {
        const r = shareBy[c.region];
        tr.append(el('td.num', r && r.target !== null ? Fmt.planned(r, r.target, r.basis === 'cumulative') : '无目标'),
          el('td.num', d.text), el('td', r ? statusBadge(r) : ''));
      }
      tr.addEventListener('click', (ev) => { if (ev.target.tagName !== 'A') App.go('/region/' + c.region); });
      tbody.append(tr);
    }
    const notes = [];
    if (mode === 'share' && vals.length === 0) notes.push(el('p.note', '各市在目标表（targets.csv）中都没有本指标的目标，无法按完成度着色。'));
    main.append(el('div.mapwrap', mapNode,
      el('div.mapside',
        el('div.tablewrap', el('table#map-table', el('thead', el('tr', head)), tbody)),
        notes,
        el('p.note', '数值与 hrssctl breakdown 一致（人数为人，比率为百分比）。点击地图或表格中的城市打开该市页面。'))));

    const min = vals.length ? Math.min(...vals) : 0;
    const max = vals.length ? Math.max(...vals) : 1;
    const c = await App.chart(mapNode, {
      title: { text: indicator.name_zh, subtext: period + ' · ' + modeText, left: 12, top: 8,
        textStyle: { fontSize: 15, fontFamily: App.FONT }, subtextStyle: { fontFamily: App.FONT } },
      tooltip: {
        trigger: 'item',
        formatter: (it) => {
          const d = it.data;
          if (!d) return it.name + '：-';
          return d.name + '<br>' + modeText + '：' + d.text + (mode === 'value' && kind !== 'ratio' ? ' ' + unit : '') +
            '<br>报送地区：' + d.row.reporting_regions + '/' + d.row.expected_regions;
        },
      },
      visualMap: {
        type: 'continuous', min, max: max === min ? min + 1 : max, calculable: false,
        left: 16, bottom: 16, text: ['高', '低'],
        inRange: { color: mode === 'change' ? ['#c8553d', '#f4efe6', '#2f7d45'] : ['#e0ecf8', '#1f5fa8'] },
        formatter: (v) => (mode === 'share' ? Fmt.fixed(v, 1) + '%' : kind === 'ratio' ? Fmt.fixed(v, 2) + '%' : Fmt.int(v)),
      },
      series: [{
        type: 'map', map: 'zhejiang', nameProperty: 'name_zh', roam: false, top: 56, bottom: 16,
        label: { show: true, fontSize: 12, fontFamily: App.FONT },
        itemStyle: { borderColor: '#fff', borderWidth: 1, areaColor: '#eef0f3' },
        emphasis: { label: { show: true }, itemStyle: { areaColor: '#f4c542' } },
        data: data.map((d) => ({ name: d.name, value: d.value, code: d.code, text: d.text, row: d.row })),
      }],
    }, ctx);
    c.on('click', (it) => { if (it.data && it.data.code) App.go('/region/' + it.data.code); });
  }

  App.pages.map = { ready: 'map', title: '地图', render: map };
})();
