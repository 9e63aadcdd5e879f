// Plots for the bench/peers report as plain SVG text (no plotting library): one chart of lines with
// markers, linear or log axes, a legend. Used for latency distributions and bytes vs corpus size.
const COLORS = { techmatch: "#d62728", pagefind: "#1f77b4", minisearch: "#2ca02c", flexsearch: "#9467bd" };
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of hi / lo < 1e3 ? [1, 2, 5] : [1]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6);
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v) =>
  Math.abs(v) >= 1e6
    ? `${+(v / 1e6).toPrecision(3)}M`
    : Math.abs(v) >= 1e3
      ? `${+(v / 1e3).toPrecision(3)}k`
      : `${+v.toPrecision(3)}`;

/**
 * series: [{name, points: [[x, y]…], markers?}]; x/y: {label, log?, min?, max?, format?}.
 * Returns the SVG document as a string.
 */
export function lineChart({ title, x, y, series, width = 760, height = 440 }) {
  const m = { l: 72, r: 160, t: 36, b: 52 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const range = (vals, ax) => {
    let lo = ax.min ?? Math.min(...vals);
    let hi = ax.max ?? Math.max(...vals);
    if (ax.log) {
      lo = 10 ** Math.floor(Math.log10(Math.max(lo, 1e-9)));
      hi = 10 ** Math.ceil(Math.log10(hi));
    }
    if (hi === lo) hi = lo + 1;
    return [lo, hi];
  };
  const [x0, x1] = range(xs, x);
  const [y0, y1] = range(ys, y);
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const sx = (v) => m.l + (x.log ? Math.log10(v / x0) / Math.log10(x1 / x0) : (v - x0) / (x1 - x0)) * W;
  const sy = (v) => m.t + H - (y.log ? Math.log10(v / y0) / Math.log10(y1 / y0) : (v - y0) / (y1 - y0)) * H;
  const fx = x.format ?? label;
  const fy = y.format ?? label;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  ];
  out.push(
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.l}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  for (const v of ticks(x0, x1, x.log))
    out.push(
      `<line x1="${sx(v)}" x2="${sx(v)}" y1="${m.t}" y2="${m.t + H}" stroke="#ddd"/><text x="${sx(v)}" y="${m.t + H + 16}" text-anchor="middle">${fx(v)}</text>`,
    );
  for (const v of ticks(y0, y1, y.log))
    out.push(
      `<line x1="${m.l}" x2="${m.l + W}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${fy(v)}</text>`,
    );
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W}" height="${H}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.l + W / 2}" y="${height - 12}" text-anchor="middle">${esc(x.label)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[s.name] ?? "#333";
    const pts = s.points.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    if (s.markers)
      for (const p of pts)
        out.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3.5" fill="${color}"/>`);
    const ly = m.t + 14 + i * 20;
    out.push(
      `<line x1="${m.l + W + 12}" x2="${m.l + W + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/><text x="${m.l + W + 42}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}
