/* pages-audit.js: completeness (报送情况: who has reported what, month by
 * month), data quality (数据质量: rejected updates and "of which"
 * violations) and one cell's revision history. */
'use strict';

(() => {
  const { el, link, api } = App;

  const historyHref = (indicator, region, period) =>
    App.hashOf('/history', { indicator, region, period });

  /* "a、b、c 等 N 项" */
  function nameList(codes, nameOf, max) {
    const names = codes.map((c) => nameOf[c] || c);
    if (names.length <= max) return names.join('、');
    return names.slice(0, max).join('、') + ' 等 ' + names.length + ' 项';
  }

  /* ---- completeness ------------------------------------------------- */

  async function completeness(ctx) {
    const [inds, def] = await Promise.all([App.indicators(), App.progressDefault()]);
    const period = ctx.params.period || App.lastMonth(def.period);
    const regionCode = ctx.params.region || '';
    const main = ctx.main;
    main.dataset.period = period;
    const monthInput = el('input', { name: 'period', type: 'month', value: period, required: 'required' });
    main.append(el('h1', '报送情况'),
      App.selectorForm('/completeness', [{ name: 'period', label: '月份', input: monthInput }],
        { region: regionCode }));
    if (!/^\d{4}-\d{2}$/.test(period)) {
      // Let the API say what is wrong with it.
      await api('completeness', { period, region: regionCode });
    }
    const year = period.slice(0, 4);
    const months = [];
    for (let m = 1; m <= +period.slice(5); m++) months.push(year + '-' + String(m).padStart(2, '0'));
    const answers = await Promise.all(months.map((p) => api('completeness', { period: p, region: regionCode })));
    const cur = answers[answers.length - 1];
    if (cur.region) main.dataset.region = cur.region;
    const nameOf = Object.fromEntries(inds.map((i) => [i.code, i.name_zh]));
    const total = cur.indicators || inds.length;

    // One row per region: how many it reported each month.
    const rows = cur.regions.map((r, order) => ({ code: r.region, name: r.name_zh, order, months: [], missingNow: r.missing }));
    const byCode = Object.fromEntries(rows.map((r) => [r.code, r]));
    answers.forEach((a, mi) => {
      for (const r of a.regions) {
        const row = byCode[r.region];
        if (row) row.months[mi] = r;
      }
    });
    for (const r of rows) {
      r.missingTotal = r.months.reduce((s, m) => s + (m ? m.missing.length : 0), 0);
    }
    rows.sort((a, b) => b.missingNow.length - a.missingNow.length || b.missingTotal - a.missingTotal || a.order - b.order);

    main.append(el('p.sub', (cur.region ? '地区 ' + cur.region + ' 及其下级，' : '') + year + ' 年 1 月至 ' + period +
      '；每格为该月已报送的指标数（共 ' + total + ' 项）。缺报的地区排在前面，缺得最多的最先。'),
      el('div.cards',
        el('div.card', el('div.k', '应报送地区'), el('div.v', cur.expected_regions)),
        el('div.card.good', el('div.k', '全部报送'), el('div.v', cur.complete_regions)),
        el('div.card.bad', el('div.k', '未报送任何指标'), el('div.v', cur.silent_regions)),
        el('div.card', el('div.k', '部分缺报'), el('div.v', Math.max(0, cur.expected_regions - cur.complete_regions - cur.silent_regions)))),
      el('p.legend', el('span.full', '全部报送'), el('span.part', '部分缺报'), el('span.silent', '未报送')));

    const htr = el('tr', el('th', '地区'), el('th', '代码'));
    for (const m of months) {
      htr.append(el('th.num', link(App.hashOf('/completeness', { period: m, region: regionCode }), +m.slice(5) + '月')));
    }
    htr.append(el('th', period + ' 缺报指标'));
    const tbody = el('tbody');
    for (const r of rows) {
      const tr = el('tr', { dataset: { region: r.code, missing: r.missingNow.length } },
        el('td', link('#/region/' + r.code, r.name)), el('td.muted', r.code));
      r.months.forEach((m, mi) => {
        if (!m) { tr.append(el('td.cell', '')); return; }
        const n = m.reported.length;
        const cls = m.missing.length === 0 ? 'full' : n === 0 ? 'silent' : 'part';
        tr.append(el('td.cell.' + cls, {
          title: months[mi] + '：已报 ' + n + '/' + total + (m.missing.length ? '；缺 ' + nameList(m.missing, nameOf, 19) : ''),
        }, String(n)));
      });
      tr.append(el('td.missing-list', r.missingNow.length ? nameList(r.missingNow, nameOf, 4) : ''));
      tbody.append(tr);
    }
    main.append(el('div.tablewrap', el('table.grid', el('thead', htr), tbody)),
      el('p.note', '与 hrssctl completeness 相同。省本级在演示数据中没有自己的报送机构，因此总显示为未报送。'));
  }

  App.pages.completeness = { ready: 'completeness', title: '报送情况', render: completeness };

  /* ---- data quality --------------------------------------------------- */

  async function quality(ctx) {
    const days = 90;
    const since = ctx.params.since || new Date(Date.now() - days * 86400e3).toISOString().slice(0, 10);
    const [inds, regs, rej, vio] = await Promise.all([
      App.indicators(), App.regions(), api('rejections', { since }), api('violations', {}),
    ]);
    const indName = Object.fromEntries(inds.map((i) => [i.code, i.name_zh]));
    const regName = Object.fromEntries(regs.map((r) => [r.code, r.name_zh]));
    const main = ctx.main;
    main.dataset.period = since + '..';
    main.append(el('h1', '数据质量'),
      App.selectorForm('/quality', [{ name: 'since', label: '拒收记录起始日期', input: el('input', { name: 'since', type: 'date', value: since }) }]),
      el('div.cards',
        el('div.card' + (rej.length ? '.bad' : '.good'), el('div.k', '自 ' + since + ' 起被拒收的报送'), el('div.v', rej.length)),
        el('div.card' + (vio.length ? '.bad' : '.good'), el('div.k', '“其中”项大于总数'), el('div.v', vio.length))));

    // Rejected updates, newest first.
    main.append(el('h2', '被拒收的报送（自 ' + since + ' 起）'));
    if (!rej.length) {
      main.append(el('p.sub', '没有被拒收的报送。'));
    } else {
      const tbody = el('tbody');
      for (const r of rej.slice().sort((a, b) => b.received_at - a.received_at)) {
        const histOk = /^\d{4}-\d{2}$/.test(r.period || '') && r.region && r.indicator;
        tbody.append(el('tr', { dataset: { id: r.id } },
          el('td.num', Fmt.time(r.received_at)),
          el('td', r.agent),
          el('td.num', r.seq),
          el('td', indName[r.indicator] || r.indicator || '-'),
          el('td', r.region ? (regName[r.region] || '') + ' ' + r.region : '-'),
          el('td', r.period || '-'),
          el('td', r.reason || ''),
          el('td', r.message || ''),
          el('td', histOk ? link(historyHref(r.indicator, r.region, r.period), '修改记录') : '')));
      }
      main.append(el('div.tablewrap', el('table.rejections', el('thead', el('tr',
        el('th.num', '接收时间'), el('th', '报送端'), el('th.num', '序号'), el('th', '指标'), el('th', '地区'),
        el('th', '期'), el('th', '原因'), el('th', '说明'), el('th', ''))), tbody)));
    }

    // "Of which" figures above their whole.
    main.append(el('h2', '“其中”项大于其总数'));
    if (!vio.length) {
      main.append(el('p.sub', '没有“其中”项大于总数的数据。'));
    } else {
      const tbody = el('tbody');
      for (const v of vio) {
        tbody.append(el('tr', { dataset: { indicator: v.indicator, region: v.region, period: v.period } },
          el('td', link('#/region/' + v.region, (regName[v.region] || '') + ' ' + v.region)),
          el('td', v.period),
          el('td', indName[v.indicator] || v.indicator),
          el('td.num', Fmt.int(v.value)),
          el('td', indName[v.parent] || v.parent),
          el('td.num', Fmt.int(v.parent_value)),
          el('td.num.neg', '+' + Fmt.int(v.value - v.parent_value)),
          el('td', link(historyHref(v.indicator, v.region, v.period), '“其中”项修改记录'), ' ',
            link(historyHref(v.parent, v.region, v.period), '总数修改记录'))));
      }
      main.append(el('div.tablewrap', el('table.violations', el('thead', el('tr',
        el('th', '地区'), el('th', '期'), el('th', '其中项'), el('th.num', '数值'), el('th', '总数指标'),
        el('th.num', '总数'), el('th.num', '超出'), el('th', ''))), tbody)),
        el('p.note', '与 hrssctl violations 相同：同一地区、同一期，“其中”项不能大于它所属的指标。'));
    }
  }

  App.pages.quality = { ready: 'quality', title: '数据质量', render: quality };

  /* ---- history ---------------------------------------------------------- */

  async function history(ctx) {
    const p = ctx.params;
    const [inds, regs, rows] = await Promise.all([
      App.indicators(), App.regions(),
      api('history', { indicator: p.indicator, region: p.region, period: p.period }),
    ]);
    const ind = inds.find((i) => i.code === p.indicator || i.name_zh === p.indicator) || { code: p.indicator, name_zh: p.indicator, kind: 'count' };
    const reg = regs.find((r) => r.code === p.region || r.name_zh === p.region) || { code: p.region, name_zh: p.region };
    const main = ctx.main;
    main.dataset.period = p.period || '';
    main.dataset.region = reg.code;
    main.append(el('h1', '修改记录'),
      el('p.sub', ind.name_zh + ' · ' + reg.name_zh + ' ' + reg.code + ' · ' + p.period),
      el('div.links', link(App.hashOf('/region/' + reg.code), '打开' + reg.name_zh + '页面'),
        link(App.hashOf('/series', { indicator: ind.code, region: reg.code, by: 'month' }), '看序列'),
        link('#/quality', '返回数据质量')));
    if (!rows.length) {
      main.append(el('p.sub', '该地区该月本指标没有收到过报送。'));
      return;
    }
    const tbody = el('tbody');
    for (const r of rows) {
      tbody.append(el('tr', { dataset: { audit: r.audit_id } },
        el('td.num', Fmt.time(r.received_at)), el('td', r.agent), el('td.num', r.seq),
        el('td.num', Fmt.historyFigure(r.kind, r.old)), el('td.num', Fmt.historyFigure(r.kind, r.new))));
    }
    main.append(el('div.tablewrap', el('table.history', el('thead', el('tr',
      el('th.num', '接收时间（UTC+8）'), el('th', '报送端'), el('th.num', '序号'), el('th.num', '原值'), el('th.num', '新值'))), tbody)),
      el('p.note', '与 hrssctl history 相同：每次收到的数值，按接收顺序；最后一行为现值。'));
  }

  App.pages.history = { ready: 'history', title: '修改记录', render: history };
})();
