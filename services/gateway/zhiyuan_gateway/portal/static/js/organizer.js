import { api, tokens, claims, ApiError } from "./api.js";
import { t, label, onLangChange } from "./i18n.js";
import { $, h, initPage, showTab, onSubmit, fillSelect, fmtTime, hours, say, shanghaiIso, shortId } from "./ui.js";
import { SERVICE_KINDS, TARGET_GROUPS } from "./vocab.js";
import { communityPicker, selectCommunity } from "./divisions.js";

const PORTAL = "organizer";
const token = () => tokens.get(PORTAL);
const me = () => claims(token() || "") || {};
let activities = [];
let codeTimer = null, rosterTimer = null;

initPage({ title: "portal.organizer", onLogout: () => { tokens.clear(PORTAL); location.hash = "#login"; location.reload(); } });

function paintWho() {
  const c = me();
  $("#whoami").textContent = token() ? t("who.organizer", { team: c.team || "—", district: c.district || "—" }) : t("who.paste");
}

onSubmit($("#token-form"), async (form) => {
  const value = form.get("token").trim().replace(/^Bearer\s+/i, "");
  const c = claims(value);
  if (!c || !["organizer", "city_admin", "district_admin"].includes(c.role)) {
    throw new ApiError(422, { detail: t("error.token"), errors: [{ field: "token", message: t("error.token") }] });
  }
  await api("GET", "/activities", { token: value, query: { limit: 1 } });
  return value;
}, (value) => { tokens.set(PORTAL, value); paintWho(); location.hash = "#publish"; });

// --- publish, with any number of slots
let slotCount = 0;
function addSlot() {
  const i = slotCount++;
  const start = new Date(Date.now() + 86400000 * 2), pad = (n) => String(n).padStart(2, "0");
  const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:00`;
  $("#slots").append(h("div", { class: "inline", "data-slot": i },
    h("div", { class: "row" }, h("label", { for: `sl-s-${i}` }, t("f.starts_at")), h("input", { id: `sl-s-${i}`, name: `slots.${i}.starts_at`, type: "datetime-local", value: local(start) })),
    h("div", { class: "row" }, h("label", { for: `sl-e-${i}` }, t("f.ends_at")), h("input", { id: `sl-e-${i}`, name: `slots.${i}.ends_at`, type: "datetime-local", value: local(new Date(start.getTime() + 3 * 3600000)) })),
    h("div", { class: "row" }, h("label", { for: `sl-c-${i}` }, t("f.capacity")), h("input", { id: `sl-c-${i}`, name: `slots.${i}.capacity`, type: "number", min: 1, value: 10 }))));
}
$("#add-slot").addEventListener("click", addSlot);
addSlot();
function paintVocab() {
  fillSelect($("#p-kind"), "kind", [...SERVICE_KINDS, "training"]);
  fillSelect($("#p-group"), "group", TARGET_GROUPS);
  paintWho();
}
paintVocab();
onLangChange(() => { paintVocab(); refresh(); });
const picker = communityPicker($("#p-district"), $("#p-street"), $("#p-community"));
async function preselectCommunity() {
  await picker;
  if (!me().team || $("#p-community").value) return;
  try {
    const team = await api("GET", `/teams/${me().team}`, { token: token() });
    await selectCommunity($("#p-district"), $("#p-street"), $("#p-community"), team.community);
  } catch { /* the organizer picks it */ }
}

onSubmit($("#publish-form"), (form) => {
  const slots = [...$("#slots").children].map((row) => {
    const i = row.dataset.slot;
    return { starts_at: shanghaiIso(form.get(`slots.${i}.starts_at`)), ends_at: shanghaiIso(form.get(`slots.${i}.ends_at`)), capacity: Number(form.get(`slots.${i}.capacity`)) };
  });
  return api("POST", "/activities", { token: token(), body: {
    team_id: me().team, title: form.get("title").trim(), service_kind: form.get("service_kind"), target_group: form.get("target_group"),
    place: form.get("place").trim(), community: form.get("community"), description: form.get("description").trim(), slots,
    needs_insurance: form.get("needs_insurance") === "on", allows_minors: form.get("allows_minors") === "on",
    recruitment: form.get("team_only") === "on" ? "team" : "public" } });
}, async (a) => {
  say($("#publish-result"), t("publish.done", { status: t(`status.${a.status}`) }));
  await loadActivities();
});

async function loadActivities() {
  if (!token() || !me().team) return;
  const reply = await api("GET", "/activities", { token: token(), query: { team_id: me().team, limit: 100 } });
  activities = reply.items;
  $("#team-activities").replaceChildren(...activities.map((a) => h("li", {}, h("h3", {}, a.title),
    h("p", { class: "meta" }, `${label("kind", a.service_kind)} · ${fmtTime(a.starts_at)} · `, h("span", { class: "badge" }, t(`status.${a.status}`))),
    h("a", { href: `#roster`, onclick: () => { sessionStorage.setItem("zy.org.activity", a.activity_id); } }, t("publish.open_roster")))));
  for (const sel of [$("#ro-activity"), $("#co-activity")]) {
    const keep = sel.value || sessionStorage.getItem("zy.org.activity");
    sel.replaceChildren(...activities.map((a) => h("option", { value: a.activity_id }, `${a.title} · ${fmtTime(a.starts_at)}`)));
    if (keep && activities.some((a) => a.activity_id === keep)) sel.value = keep;
  }
}

// --- the live roster, the rotating activity code, bulk confirmation of minutes
const names = new Map();
async function nameOf(id) {
  if (!names.has(id)) {
    try { const v = await api("GET", `/volunteers/${id}`, { token: token() }); names.set(id, `${v.name} (${v.registration_no})`); }
    catch { names.set(id, shortId(id)); }
  }
  return names.get(id);
}
async function paintCode() {
  const id = $("#ro-activity").value, box = $("#att-code");
  if (!id) { box.replaceChildren(); return; }
  try {
    const c = await api("GET", `/activities/${id}/attendance-code`, { token: token() });
    box.replaceChildren(h("p", {}, t("code.show")), h("p", { class: "code", id: "activity-code" }, c.code),
      h("p", { class: "meta" }, t("code.expires", { at: fmtTime(new Date(c.expires_at * 1000).toISOString()) })));
  } catch (err) { box.replaceChildren(h("p", { class: "meta" }, err.message)); }
}
async function paintRoster() {
  const id = $("#ro-activity").value, body = $("#roster-rows");
  if (!id) { body.replaceChildren(); return; }
  const r = await api("GET", `/activities/${id}/roster`, { token: token() });
  const rows = [];
  for (const [i, v] of r.items.entries()) {
    const att = v.attendance.map((p) => `${fmtTime(p.checked_in)} → ${p.checked_out ? fmtTime(p.checked_out) : "…"}${p.auto_closed ? " ⚠" : ""}`).join("; ");
    const act = (which) => async () => {
      try { await api("POST", `/activities/${id}/${which}`, { token: token(), body: { volunteer_id: v.volunteer_id } }); await paintRoster(); }
      catch (err) { say($("#hours-result"), err.message, "alert"); }
    };
    rows.push(h("tr", { "data-volunteer": v.volunteer_id },
      h("td", {}, h("input", { type: "checkbox", name: "pick", value: v.volunteer_id, "data-index": i, checked: v.attendance.length > 0, "aria-label": t("roster.select") })),
      h("td", {}, await nameOf(v.volunteer_id)),
      h("td", {}, h("span", { class: `badge ${v.status === "confirmed" ? "ok" : "warn"}` }, v.status === "waitlisted" ? t("signup.waitlisted", { n: v.position }) : t(`signup.${v.status}`)), v.flagged ? h("span", { class: "badge bad" }, t("roster.flagged")) : ""),
      h("td", { class: "attendance" }, att || "—"),
      h("td", {}, h("input", { type: "number", min: 0, name: `minutes.${v.volunteer_id}`, "aria-label": t("roster.minutes"), style: "max-width:7rem" })),
      h("td", {}, v.status === "confirmed" ? [h("button", { type: "button", class: "secondary", onclick: act("checkins") }, t("checkin.in")), " ",
        h("button", { type: "button", class: "secondary", onclick: act("checkouts") }, t("checkin.out"))] : "")));
  }
  body.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 6 }, t("roster.empty")))]));
}
$("#ro-activity").addEventListener("change", () => { sessionStorage.setItem("zy.org.activity", $("#ro-activity").value); paintCode(); paintRoster(); });
onSubmit($("#hours-form"), (form) => {
  const picked = form.getAll("pick");
  const records = picked.map((vid) => {
    const m = form.get(`minutes.${vid}`);
    return m === "" || m === null ? { volunteer_id: vid } : { volunteer_id: vid, minutes: Number(m) };
  });
  if (!records.length) throw new ApiError(422, { detail: t("roster.pick_some") });
  // errors name records[i]: map them back to the row's minutes input
  return api("POST", `/activities/${$("#ro-activity").value}/hours`, { token: token(), body: { records } }).catch((err) => {
    for (const e of err.problem?.errors || []) {
      const m = /^records\[(\d+)\]/.exec(e.field || "");
      if (m) e.field = `minutes.${records[Number(m[1])].volunteer_id}`;
    }
    throw err;
  });
}, (a) => {
  say($("#hours-result"), t("roster.confirmed", { n: a.records.length, h: hours(a.records.reduce((s, r) => s + r.minutes, 0)) }) + (a.late ? ` ${t("flag.late")}` : ""));
});

// --- disputes queue
async function paintDisputes() {
  const list = $("#dispute-list");
  const reply = await api("GET", `/teams/${me().team}/disputes`, { token: token() });
  list.replaceChildren(...(reply.items.length ? reply.items.map((d) => {
    const form = h("form", { class: "inline", novalidate: true },
      h("div", { class: "alert", role: "alert" }),
      h("div", { class: "row" }, h("label", { for: `dm-${d.record_id}-${d.dispute_no}` }, t("f.minutes")), h("input", { id: `dm-${d.record_id}-${d.dispute_no}`, name: "minutes", type: "number", min: 0, value: d.claimed_minutes ?? "" })),
      h("div", { class: "row" }, h("label", { for: `dn-${d.record_id}-${d.dispute_no}` }, t("f.note")), h("input", { id: `dn-${d.record_id}-${d.dispute_no}`, name: "note" })),
      h("button", { type: "submit", name: "accept", value: "1" }, t("dispute.accept")),
      h("button", { type: "submit", name: "accept", value: "0", class: "secondary" }, t("dispute.reject")));
    let accept = true;
    form.addEventListener("click", (ev) => { if (ev.target.name === "accept") accept = ev.target.value === "1"; });
    onSubmit(form, (fd) => api("POST", `/records/${d.record_id}/disputes/${d.dispute_no}/resolution`, { token: token(), body: {
      accept, note: fd.get("note").trim(), ...(accept && fd.get("minutes") !== "" ? { minutes: Number(fd.get("minutes")) } : {}) } }), () => paintDisputes());
    return h("li", {}, h("h3", {}, `${t("dispute.no", { n: d.dispute_no })} · `, h("span", { class: "badge" }, t(d.status === "open" ? "dispute.open_state" : `dispute.${d.status}`))),
      h("p", {}, d.reason), h("p", { class: "meta" }, `${shortId(d.volunteer_id)} · ${t("f.claimed_minutes")}: ${d.claimed_minutes ?? "—"} · ${fmtTime(d.opened_at)}`),
      d.status === "open" ? form : h("p", { class: "meta" }, d.note || ""));
  }) : [h("li", {}, t("disputes.none"))]));
}

onSubmit($("#complete-form"), (form) => api("POST", `/activities/${form.get("activity")}/complete`, { token: token(), body: {
  summary: form.get("summary").trim(), people_served: Number(form.get("people_served") || 0) } }),
(a) => say($("#complete-result"), t("complete.done", { p: a.participants, h: hours(a.total_minutes) })));

async function refresh() {
  const tab = location.hash.slice(1);
  clearInterval(codeTimer); clearInterval(rosterTimer);
  if (!token()) { if (tab !== "login") location.hash = "#login"; return; }
  try {
    await loadActivities();
    if (tab === "publish") await preselectCommunity();
    if (tab === "roster") {
      await Promise.all([paintCode(), paintRoster()]);
      codeTimer = setInterval(paintCode, 20000);
      rosterTimer = setInterval(() => paintRoster().catch(() => {}), 10000);
    }
    if (tab === "disputes") await paintDisputes();
  } catch (err) { say($("#whoami"), err.message, "alert"); }
}
document.addEventListener("tab", refresh);
paintWho();
showTab();
