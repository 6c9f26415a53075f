import { api, all, tokens, claims, ApiError } from "./api.js";
import { t, label, onLangChange } from "./i18n.js";
import { $, h, initPage, showTab, onSubmit, fmtTime, hours, say } from "./ui.js";
import { TEAM_CHECKLIST, STATION_CHECKLIST, UNIT_TYPES } from "./vocab.js";
import { cityCode, children, nameOf, preloadNames } from "./divisions.js";
import { wireOrgForms, paintOrgVocab, paintUnits, refreshTeamUnits } from "./admin-org.js";
import { wireEnrol, paintEnrolVocab, refreshEnrolUnits } from "./admin-enrol.js";
import { barChart, hbarChart, gauge } from "./charts.js";
import { toXlsx, toCsv, download } from "./xlsx.js";

const PORTAL = "admin";
const token = () => tokens.get(PORTAL);
const me = () => claims(token() || "") || {};
let city = "110000";

initPage({ title: "portal.admin", onLogout: () => { tokens.clear(PORTAL); location.hash = "#login"; location.reload(); } });

function paintWho() {
  const c = me();
  $("#whoami").textContent = token() ? t("who.admin", { role: t(`role.${c.role}`), district: c.district || t("scope.city") }) : t("who.paste");
}

onSubmit($("#token-form"), async (form) => {
  const value = form.get("token").trim().replace(/^Bearer\s+/i, "");
  const c = claims(value);
  if (!c || !["city_admin", "district_admin", "district_system"].includes(c.role)) {
    throw new ApiError(422, { detail: t("error.token"), errors: [{ field: "token", message: t("error.token") }] });
  }
  return value;
}, async (value) => { tokens.set(PORTAL, value); paintWho(); await fillScopes(); location.hash = "#dashboard"; });

async function fillScopes() {
  city = await cityCode();
  const c = me();
  const scopes = c.role === "city_admin" ? [{ code: city, name: await nameOf(city) }, ...(await children(city))] : [{ code: c.district, name: await nameOf(c.district) }];
  for (const sel of [$("#d-scope"), $("#cm-scope"), $("#rp-district")]) {
    const keep = sel.value;
    sel.replaceChildren(...scopes.map((d) => h("option", { value: d.code }, d.name)));
    if (keep) sel.value = keep;
  }
  if (!$("#d-year").value) $("#d-year").value = new Date().getFullYear();
  if (!$("#cm-period").value) $("#cm-period").value = `${new Date().getFullYear()}Q${Math.floor(new Date().getMonth() / 3) + 1}`;
}

// --- dashboard: KPIs and charts from /districts/{code}/stats and the activity list
async function paintDashboard() {
  const scope = $("#d-scope").value || me().district || city, year = $("#d-year").value;
  const s = await api("GET", `/districts/${scope}/stats`, { token: token(), query: { year, level: scope === city ? "district" : "community" } });
  const kpi = (key, value) => h("div", { class: "kpi" }, h("span", {}, t(key)), h("b", {}, value));
  $("#kpis").replaceChildren(kpi("kpi.registered", s.registered), kpi("kpi.active", s.active), kpi("kpi.teams", s.teams),
    kpi("kpi.stations", `${s.stations} (${t("kpi.six")} ${s.stations_meeting_all_six})`), kpi("kpi.activities", s.activities),
    kpi("kpi.participations", s.participations), kpi("kpi.hours", hours(s.minutes)), kpi("kpi.served", s.people_served));
  $("#c-monthly").replaceChildren(barChart(t("chart.monthly"), (s.monthly || []).map((m) => ({ label: m.month.slice(5), value: Math.round(m.minutes / 60) }))));
  const cov = s.coverage || {};
  $("#c-coverage").replaceChildren(cov.registered_share === null || cov.registered_share === undefined
    ? h("p", { class: "meta" }, t("chart.no_population"))
    : h("div", {}, gauge(t("chart.coverage"), cov.registered_share, cov.target, `${t("chart.target")} ${(cov.target * 100).toFixed(0)}%`),
      h("p", {}, t("chart.coverage_text", { share: (cov.registered_share * 100).toFixed(4), pop: cov.resident_population, ok: cov.meets_target ? "✓" : "✗" }))));
  const quotas = (s.unit_quotas || []).filter((q) => UNIT_TYPES.includes(q.unit_type));
  $("#c-quotas").replaceChildren(hbarChart(t("chart.quotas"), quotas.map((q) => ({ label: label("unit", q.unit_type), value: Math.round((q.share || 0) * 100), target: q.quota_percent, max: 100 })),
    { format: (v) => `${v}%`, targetLabel: t("chart.target") }), h("p", { class: "meta" }, t("chart.quota_note")));
  const acts = await all("/activities", { token: token(), query: scope === city ? {} : { district: scope }, max: 2000 });
  const byKind = new Map(), byCommunity = new Map();
  for (const a of acts) {
    byKind.set(a.service_kind, (byKind.get(a.service_kind) || 0) + 1);
    byCommunity.set(a.community, (byCommunity.get(a.community) || 0) + 1);
  }
  $("#c-kinds").replaceChildren(acts.length ? hbarChart(t("chart.kinds"), [...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ label: label("kind", k), value: v }))) : h("p", { class: "meta" }, t("chart.none")));
  const top = [...byCommunity].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const named = await Promise.all(top.map(async ([c, v]) => ({ label: await nameOf(c), value: v })));
  $("#c-cluster").replaceChildren(acts.length ? hbarChart(t("chart.cluster"), named) : h("p", { class: "meta" }, t("chart.none")));
  const stars = s.by_star_level || [];
  $("#c-stars").replaceChildren(stars.length
    ? barChart(t("chart.stars"), stars.map((r) => ({ label: `${r.star_level}★`, value: r.volunteers })))
    : h("p", { class: "meta" }, t("chart.none")));
}
onSubmit($("#scope-form"), () => paintDashboard());

// --- the registration forms (teams, stations, units, a volunteer on someone's behalf), wired once
let wired = null;
function wireForms() {
  const district = me().district || null;
  const readOnly = me().role === "district_system";
  for (const el of [$("#team-new"), $("#station-new"), $("#unit-new"), $("#enrol-form")]) el.hidden = readOnly;
  wired ||= Promise.all([wireOrgForms({ token, district, onCreated: paintOrg }), wireEnrol({ token, district })])
    .catch((err) => { wired = null; throw err; });
  return wired;
}

// --- teams, stations and units, with their checklists
function checklistCells(kind, id, checklist, keys) {
  return keys.map((k) => h("td", {}, h("input", { type: "checkbox", checked: !!checklist[k], "aria-label": t(`check.${k}`), onchange: async (ev) => {
    const next = { ...checklist, [k]: ev.target.checked };
    try {
      await api("PUT", `/${kind}/${id}/checklist`, { token: token(), body: { checklist: next } });
      checklist[k] = ev.target.checked;
      say($("#org-result"), t("org.saved"));
    } catch (err) { ev.target.checked = !ev.target.checked; say($("#org-result"), err.message, "alert"); }
  } })));
}
async function paintOrg() {
  const q = me().district ? { district: me().district } : {};
  const [teams, stations] = await Promise.all([all("/teams", { token: token(), query: q, max: 500 }), all("/stations", { token: token(), query: q, max: 500 }), paintUnits(token(), q)]);
  $("#team-head").replaceChildren(h("tr", {}, h("th", { scope: "col" }, t("col.name")), h("th", { scope: "col" }, t("col.kind")), h("th", { scope: "col" }, t("col.members")), ...TEAM_CHECKLIST.map((k) => h("th", { scope: "col" }, t(`check.${k}`))), h("th", { scope: "col" }, t("col.all5"))));
  $("#team-rows").replaceChildren(...teams.map((tm) => h("tr", {}, h("td", {}, tm.name), h("td", {}, label("teamkind", tm.kind)), h("td", {}, tm.members),
    ...checklistCells("teams", tm.team_id, tm.checklist, TEAM_CHECKLIST), h("td", {}, tm.meets_all_five ? "✓" : "—"))));
  $("#station-head").replaceChildren(h("tr", {}, h("th", { scope: "col" }, t("col.name")), h("th", { scope: "col" }, t("col.place_kind")), ...STATION_CHECKLIST.map((k) => h("th", { scope: "col" }, t(`check.${k}`))), h("th", { scope: "col" }, t("col.all6"))));
  $("#station-rows").replaceChildren(...stations.map((st) => h("tr", {}, h("td", {}, st.name), h("td", {}, label("place", st.place_kind)),
    ...checklistCells("stations", st.station_id, st.checklist, STATION_CHECKLIST), h("td", {}, st.meets_all_six ? "✓" : "—"))));
}

// --- spot checks
const spotDistrict = () => me().district || $("#d-scope").value || city;
onSubmit($("#spot-form"), (form) => {
  const body = { seed: form.get("seed").trim() };
  if (form.get("percentage")) body.percentage = Number(form.get("percentage"));
  if (form.get("count")) body.count = Number(form.get("count"));
  return api("POST", `/districts/${spotDistrict()}/spot-checks`, { token: token(), body });
}, async (r) => { await paintSpots(); await openSpot(r.check_id); });
async function paintSpots() {
  const reply = await api("GET", `/districts/${spotDistrict()}/spot-checks`, { token: token() });
  $("#spot-list").replaceChildren(...reply.items.map((s) => h("li", {}, h("b", {}, fmtTime(s.drawn_at)), ` · ${t("spot.sample", { n: s.sample_size, of: s.population })} · seed ${s.seed} `,
    h("button", { type: "button", class: "secondary", onclick: () => openSpot(s.check_id) }, t("spot.open")))));
}
async function openSpot(id) {
  const [s, report] = await Promise.all([api("GET", `/spot-checks/${id}`, { token: token() }), api("GET", `/spot-checks/${id}/report`, { token: token() })]);
  const rows = s.items.map((it) => h("tr", {}, h("td", {}, it.registration_no), h("td", {}, it.name), h("td", {}, it.outcome ? t(`outcome.${it.outcome}`) : "—"),
    h("td", {}, ...["verified", "unreachable", "mismatch"].map((o) => h("button", { type: "button", class: "secondary", onclick: async () => {
      const note = o === "mismatch" ? prompt(t("spot.note")) || "" : "";
      try { await api("POST", `/spot-checks/${id}/outcomes`, { token: token(), body: { volunteer_id: it.volunteer_id, outcome: o, ...(note ? { note } : {}) } }); await openSpot(id); }
      catch (err) { say($("#org-result"), err.message, "alert"); }
    } }, t(`outcome.${o}`))))));
  $("#spot-detail").replaceChildren(h("div", { class: "card" }, h("h3", {}, t("spot.items")),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("col.regno")), h("th", {}, t("col.name")), h("th", {}, t("col.outcome")), h("th", {}, t("col.record")))), h("tbody", {}, ...rows))),
    h("p", {}, t("spot.rate", { rate: report.verified_rate === null ? "—" : (report.verified_rate * 100).toFixed(0) + "%", n: report.checked }))));
}

// --- commendation lists: compute (opens the notice), objections, publish
onSubmit($("#commend-form"), (form) => api("POST", "/commendations", { token: token(), body: { kind: form.get("kind"), period: form.get("period").trim(), scope: form.get("scope") } }),
  () => paintCommendations());
async function paintCommendations() {
  const reply = await api("GET", "/commendations", { token: token(), query: me().district ? { scope: me().district } : {} });
  $("#commend-list").replaceChildren(...(reply.items.length ? reply.items.map((l) => {
    const status = h("p", { "aria-live": "polite" });
    const entries = h("ol", {}, ...l.entries.map((e) => h("li", {}, `${e.name_masked || e.team_name || e.team_id || ""} · ${hours(e.minutes)}`)));
    const objections = (l.objections || []).map((o, i) => h("p", { class: "meta" }, `${t("commend.objection")} ${i + 1}: ${o.reason} (${o.status || o.decision || ""})`,
      (o.status || "open") === "open" ? [" ", ...["uphold", "dismiss"].map((d) => h("button", { type: "button", class: "secondary", onclick: async () => {
        try { await api("POST", `/commendations/${l.list_id}/objections/${o.n ?? i + 1}/resolution`, { token: token(), body: { decision: d, note: t(`commend.${d}`) } }); await paintCommendations(); }
        catch (err) { say(status, err.message, "alert"); }
      } }, t(`commend.${d}`)))] : ""));
    const publish = l.state === "noticed" ? h("button", { type: "button", "data-publish": l.list_id, onclick: async () => {
      try { await api("POST", `/commendations/${l.list_id}/publish`, { token: token() }); await paintCommendations(); }
      catch (err) { say(status, err.message, "alert"); }
    } }, t("commend.publish")) : "";
    return h("li", { "data-list": l.list_id }, h("h3", {}, `${t(`commend.${l.kind}`)} · ${l.period} · ${l.scope} `, h("span", { class: `badge ${l.state === "published" ? "ok" : "warn"}`, "data-state": l.state }, t(`state.${l.state}`))),
      h("p", { class: "meta" }, l.state === "noticed" ? t("commend.notice_until", { at: fmtTime(l.notice_ends_at) }) : t("commend.published_at", { at: fmtTime(l.published_at) })),
      entries, ...objections, publish, status);
  }) : [h("li", {}, t("commend.none"))]));
}

// --- the three statistics tables, exported as XLSX and CSV. Built here in the browser from the
// public list endpoints (GET /volunteers, /stations, /teams: every page, 500 rows a request), so
// there is no export endpoint: any other client gets the same rows from the same lists.
const SHOWN_ROWS = 1000;
let lastTable = null, building = null;
async function buildTable(district, table, onPage) {
  const opts = { token: token(), query: { district }, max: Infinity, pageSize: 500, onPage };
  if (table === "volunteers") {
    const rows = await all("/volunteers", opts);
    await preloadNames(rows.map((r) => r.community));
    const places = new Map();
    for (const c of new Set(rows.flatMap((r) => [r.community, r.street]))) places.set(c, await nameOf(c));
    return [[t("col.regno"), t("col.name"), t("col.street"), t("col.community"), t("col.status"), t("col.minor"), t("col.registered_at")],
      ...rows.map((r) => [r.registration_no, r.name, places.get(r.street), places.get(r.community), t(`vstatus.${r.status}`), r.minor ? "✓" : "", fmtTime(r.registered_at)])];
  }
  if (table === "stations") {
    const rows = await all("/stations", opts);
    await preloadNames(rows.map((r) => r.community));
    return [[t("col.name"), t("col.place_kind"), t("col.community"), ...STATION_CHECKLIST.map((k) => t(`check.${k}`)), t("col.all6")],
      ...(await Promise.all(rows.map(async (r) => [r.name, label("place", r.place_kind), await nameOf(r.community), ...STATION_CHECKLIST.map((k) => (r.checklist[k] ? 1 : 0)), r.meets_all_six ? 1 : 0])))];
  }
  const rows = await all("/teams", opts);
  await preloadNames(rows.map((r) => r.community));
  return [[t("col.name"), t("col.kind"), t("col.community"), t("col.members"), ...TEAM_CHECKLIST.map((k) => t(`check.${k}`)), t("col.all5")],
    ...(await Promise.all(rows.map(async (r) => [r.name, label("teamkind", r.kind), await nameOf(r.community), r.members, ...TEAM_CHECKLIST.map((k) => (r.checklist[k] ? 1 : 0)), r.meets_all_five ? 1 : 0])))];
}
async function makeTable(form) {
  const district = form.get("district") === city ? undefined : form.get("district");
  const status = $("#report-status");
  lastTable = null;
  try {
    const rows = await buildTable(district, form.get("table"), (n) => { status.textContent = t("report.reading", { n }); });
    lastTable = { name: `${form.get("table")}-${form.get("district")}`, rows };
    return lastTable;
  } catch (err) { status.textContent = ""; throw err; } finally { building = null; }
}
onSubmit($("#report-form"), (form) => (building = makeTable(form)), ({ rows }) => {
  const body = rows.slice(1);
  $("#report-status").textContent = body.length > SHOWN_ROWS ? t("report.shown", { shown: SHOWN_ROWS, n: body.length }) : t("report.rows", { n: body.length });
  $("#report-table").replaceChildren(h("thead", {}, h("tr", {}, ...rows[0].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...body.slice(0, SHOWN_ROWS).map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))));
});
$("#report-form").addEventListener("change", () => { lastTable = null; });
/** The table the form shows, built first if it is not (a refusal is shown in the form). */
async function ensureTable() {
  if (lastTable) return lastTable;
  if (!building) $("#report-form").requestSubmit();
  return building;
}
const exporter = (write) => async () => { try { write(await ensureTable()); } catch { /* shown in the form */ } };
$("#export-xlsx").addEventListener("click", exporter((tb) => download(toXlsx(tb.name, tb.rows), `${tb.name}.xlsx`)));
$("#export-csv").addEventListener("click", exporter((tb) => download(toCsv(tb.rows), `${tb.name}.csv`)));

async function refresh() {
  const tab = location.hash.slice(1);
  paintWho();
  if (!token()) { if (tab !== "login") location.hash = "#login"; return; }
  try {
    await fillScopes();
    if (tab === "dashboard") await paintDashboard();
    if (tab === "org" || tab === "enrol") await wireForms();
    if (tab === "org") await Promise.all([paintOrg(), refreshTeamUnits(token)]);
    if (tab === "enrol") await refreshEnrolUnits(token);
    if (tab === "spot") await paintSpots();
    if (tab === "commend") await paintCommendations();
  } catch (err) { say($("#whoami"), err.message, "alert"); }
}
onLangChange(() => { paintOrgVocab(); paintEnrolVocab(); refresh(); });
document.addEventListener("tab", refresh);
showTab();
