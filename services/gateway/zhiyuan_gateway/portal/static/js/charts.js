// Inline SVG charts drawn here (no library): vertical bars, horizontal bars, a gauge.
const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#b3261e", "#0b57d0", "#1b6e2d", "#8a4b00", "#6a1b9a", "#00695c", "#5d4037", "#c2185b"];

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(title, width, height) {
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  return svg;
}

/** Vertical bars: data = [{label, value}] */
export function barChart(title, data, { format = String, height = 200 } = {}) {
  const width = 360, top = 14, bottom = 28, left = 8;
  const svg = frame(title, width, height);
  const max = Math.max(1, ...data.map((d) => d.value));
  const slot = (width - left * 2) / Math.max(1, data.length);
  data.forEach((d, i) => {
    const bh = ((height - top - bottom) * d.value) / max;
    const x = left + i * slot + slot * 0.15, y = height - bottom - bh;
    const bar = s("rect", { x, y, width: slot * 0.7, height: Math.max(bh, d.value ? 1 : 0), fill: PALETTE[0] });
    bar.append(s("title", {}, `${d.label}: ${format(d.value)}`));
    svg.append(bar);
    if (d.value) svg.append(s("text", { x: x + slot * 0.35, y: y - 3, "text-anchor": "middle" }, format(d.value)));
    svg.append(s("text", { x: x + slot * 0.35, y: height - bottom + 14, "text-anchor": "middle" }, d.label));
  });
  svg.append(s("line", { x1: left, x2: width - left, y1: height - bottom, y2: height - bottom, stroke: "#888" }));
  return svg;
}

/** Horizontal bars with an optional target mark per row: data = [{label, value, max?, target?}] */
export function hbarChart(title, data, { format = String, targetLabel = "" } = {}) {
  const width = 360, row = 26, labelW = 120, height = Math.max(40, data.length * row + 10);
  const svg = frame(title, width, height);
  const max = Math.max(1, ...data.map((d) => Math.max(d.max ?? d.value, d.target ?? 0)));
  const span = width - labelW - 50;
  data.forEach((d, i) => {
    const y = 5 + i * row;
    svg.append(s("text", { x: labelW - 6, y: y + 15, "text-anchor": "end" }, d.label.length > 12 ? d.label.slice(0, 11) + "…" : d.label));
    const w = (span * Math.min(d.value, max)) / max;
    const bar = s("rect", { x: labelW, y: y + 3, width: Math.max(w, d.value ? 1 : 0), height: row - 8, fill: PALETTE[i % PALETTE.length] });
    bar.append(s("title", {}, `${d.label}: ${format(d.value)}`));
    svg.append(bar);
    svg.append(s("text", { x: labelW + w + 4, y: y + 15 }, format(d.value)));
    if (d.target !== undefined && d.target !== null) {
      const tx = labelW + (span * d.target) / max;
      const mark = s("line", { x1: tx, x2: tx, y1: y, y2: y + row - 2, stroke: "#000", "stroke-width": 2, "stroke-dasharray": "3 2" });
      mark.append(s("title", {}, `${targetLabel} ${format(d.target)}`));
      svg.append(mark);
    }
  });
  return svg;
}

/** A gauge: share against a target (both 0..1). */
export function gauge(title, share, target, caption) {
  const width = 360, height = 70;
  const svg = frame(title, width, height);
  const span = width - 20, scale = Math.max(target * 1.5, share, 0.0001);
  svg.append(s("rect", { x: 10, y: 10, width: span, height: 22, fill: "#e8e8e3", rx: 4 }));
  svg.append(s("rect", { x: 10, y: 10, width: Math.max(1, (span * Math.min(share, scale)) / scale), height: 22, fill: share >= target ? "#1b6e2d" : "#b3261e", rx: 4 }));
  const tx = 10 + (span * target) / scale;
  svg.append(s("line", { x1: tx, x2: tx, y1: 4, y2: 38, stroke: "#000", "stroke-width": 2 }));
  svg.append(s("text", { x: tx, y: 52, "text-anchor": "middle" }, caption));
  return svg;
}
