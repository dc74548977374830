/* fmt.js: numbers as hrssctl writes them (admin/numfmt.c, admin/cell.c,
 * admin/units.c). Null or non-finite values print as "-". */
'use strict';

const Fmt = (() => {
  /* Round |v| half away from zero to `dec` places on its shortest
   * round-trip decimal form (numfmt_fixed), then group by thousands. */
  function fixed(v, dec) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    dec = Math.max(0, Math.min(6, dec | 0));
    const a = Math.abs(v);
    const m = a.toExponential(); // shortest digits that read back as a
    const e = m.indexOf('e');
    let dig = m.slice(0, e).replace('.', '').split('').map(Number);
    let pos = parseInt(m.slice(e + 1), 10) + 1; // digits left of the point
    const keep = pos + dec;
    if (keep < 0) {
      dig = dig.map(() => 0);
    } else if (keep < dig.length) {
      let up = dig[keep] >= 5;
      for (let i = keep; i < dig.length; i++) dig[i] = 0;
      for (let i = keep - 1; up && i >= 0; i--) {
        dig[i]++;
        up = dig[i] === 10;
        if (up) dig[i] = 0;
      }
      if (up) { dig.unshift(1); pos++; }
    }
    const at = (i) => (i >= 0 && i < dig.length ? dig[i] : 0);
    let idig = '';
    for (let place = pos > 0 ? pos - 1 : 0; place >= 0; place--) {
      const d = at(pos - 1 - place);
      if (idig.length > 0 || d !== 0 || place === 0) idig += d;
    }
    let fdig = '';
    for (let k = 1; k <= dec; k++) fdig += at(pos - 1 + k);
    const zero = /^0*$/.test(idig) && /^0*$/.test(fdig);
    return (v < 0 && !zero ? '-' : '') + group(idig) + (fdig ? '.' + fdig : '');
  }

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  /* numfmt_int: a whole number with separators. */
  function int(v) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    return fixed(Math.round(v), 0);
  }

  const isRatio = (ind) => ind.kind === 'ratio';
  const scaleOf = (ind) => ind.unit_scale || 1;

  /* units_display: a raw value in the plan's unit (万人, %). Rounded to
   * 12 significant digits so that 0.07 * 100 reads as 7. */
  function display(ind, raw) {
    if (raw === null || raw === undefined) return null;
    const s = isRatio(ind) ? raw * scaleOf(ind) : raw / scaleOf(ind);
    return Number(s.toPrecision(12));
  }

  /* units_decimals */
  function decimals(ind) {
    return isRatio(ind) ? 1 : scaleOf(ind) > 1 ? 2 : 0;
  }

  /* cell_measure: a measured value in plan units ("548.47", "4.8"). */
  function measure(ind, raw) {
    if (raw === null || raw === undefined) return '-';
    return fixed(display(ind, raw), decimals(ind));
  }

  /* planned(): a target or baseline as the plan writes it, whole or with
   * one decimal; 〔〕 around a cumulative target. */
  function planned(ind, raw, bracket) {
    if (raw === null || raw === undefined) return '-';
    const v = display(ind, raw);
    const s = fixed(v, v === Math.floor(v) ? 0 : 1);
    return bracket ? '〔' + s + '〕' : s;
  }

  /* cell_share: "109.7%". */
  function share(f) {
    if (f === null || f === undefined || !isFinite(f)) return '-';
    return fixed(100 * f, 1) + '%';
  }

  /* show_figure: a raw figure as breakdown, series and total show it:
   * "1,234" for a count, "4.64%" for a ratio (with "(num / den)" when
   * `full` and both are known). */
  function figure(kind, v, num, den, full) {
    if (v === null || v === undefined) return '-';
    if (kind !== 'ratio') return int(v);
    const pct = fixed(100 * v, 2) + '%';
    if (full && num !== undefined && den !== undefined && num !== null && den !== null) {
      return pct + ' (' + int(num) + ' / ' + int(den) + ')';
    }
    return pct;
  }

  /* A history old/new field: a count, {numerator, denominator}, or null. */
  function historyFigure(kind, f) {
    if (f === null || f === undefined) return '-';
    if (typeof f === 'object') {
      if (!(f.denominator > 0)) return '-';
      return figure('ratio', f.numerator / f.denominator, f.numerator, f.denominator, true);
    }
    return figure(kind, f);
  }

  /* The change of a figure on another (same period of last year): a
   * count's difference with a sign; a ratio's in percentage points. */
  function change(kind, v, old) {
    if (v === null || v === undefined || old === null || old === undefined) return '-';
    const d = v - old;
    if (kind === 'ratio') {
      const s = fixed(100 * d, 2);
      return (d > 0 && s !== '0.00' ? '+' : '') + s + ' 个百分点';
    }
    const s = int(d);
    return (d > 0 ? '+' : '') + s;
  }

  /* Unix seconds as "YYYY-MM-DD HH:MM:SS" in UTC+8, as hrssctl shows. */
  function time(t) {
    if (t === null || t === undefined) return '-';
    const d = new Date((t + 8 * 3600) * 1000);
    return d.toISOString().slice(0, 19).replace('T', ' ');
  }

  return { fixed, int, display, decimals, measure, planned, share, figure,
           historyFigure, change, time };
})();
