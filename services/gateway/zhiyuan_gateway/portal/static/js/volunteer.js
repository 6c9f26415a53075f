import { api, tokens, claims } from "./api.js";
import { t, label, onLangChange, applyI18n } from "./i18n.js";
import { $, h, initPage, showTab, onSubmit, showError, clearErrors, fillSelect, fmtTime, fmtSlot, hours, say } from "./ui.js";
import { slotPicker, signupText, mySignup } from "./slots.js";
import { SERVICE_KINDS, POLITICAL } from "./vocab.js";
import { ageRule, paintSkills, registrationBody } from "./person.js";
import { communityPicker, fillDistricts } from "./divisions.js";

const PORTAL = "volunteer";
const token = () => tokens.get(PORTAL);
const me = () => claims(token() || "")?.volunteer || claims(token() || "")?.sub;

initPage({ title: "portal.volunteer", onLogout: () => { tokens.clear(PORTAL); location.hash = "#register"; location.reload(); } });

function paintWho() {
  const who = $("#whoami");
  who.textContent = token() ? t("who.volunteer", { no: sessionStorage.getItem("zy.regno") || me() }) : t("who.anonymous");
}

// --- register: the ID and guardian rules are explained before submit, and checked as one types
const paintAge = ageRule($("#r-id"), $("#r-age"), $("#guardian"));

function paintVocab() {
  fillSelect($("#r-political"), "political", POLITICAL, "choose.optional");
  fillSelect($("#s-kind"), "kind", SERVICE_KINDS, "any.kind");
  paintSkills($("#r-skills"));
  paintAge();
  paintWho();
}
onLangChange(() => { paintVocab(); refresh(); });
paintVocab();
communityPicker($("#r-district"), $("#r-street"), $("#r-community"));
fillDistricts($("#s-district"), "any.district");

onSubmit($("#register-form"), (form) => api("POST", "/volunteers", { body: registrationBody(form, $("#guardian")) }), (answer) => {
  tokens.set(PORTAL, answer.token);
  sessionStorage.setItem("zy.regno", answer.registration_no);
  paintWho();
  $("#whoami").textContent = t("register.done", { no: answer.registration_no });
  location.hash = "#find";
});

onSubmit($("#code-form"), (form) => api("POST", "/auth/code", { body: { mobile: form.get("mobile").trim() } }),
  () => { $("#code-sent").textContent = t("login.sent"); $("#l-code").focus(); });
onSubmit($("#login-form"), (form) => api("POST", "/auth/token", { body: { mobile: $("#l-mobile").value.trim(), code: form.get("code").trim() } }),
  async (answer) => {
    tokens.set(PORTAL, answer.token);
    try { sessionStorage.setItem("zy.regno", (await api("GET", `/volunteers/${me()}`, { token: token() })).registration_no); } catch { /* shown as the id */ }
    paintWho();
    location.hash = "#signups";
  });

// --- find activities and sign up
async function search(form) {
  const q = { district: form.get("district"), service_kind: form.get("service_kind"),
    from: form.get("from") ? form.get("from") + "T00:00:00+08:00" : new Date().toISOString(),
    to: form.get("to") ? form.get("to") + "T23:59:59+08:00" : undefined };
  return api("GET", "/activities", { query: q, token: token() || undefined });
}
function paintActivities(reply) {
  const list = $("#activities");
  list.replaceChildren();
  if (!reply.items.length) { list.append(h("li", {}, t("find.none"))); return; }
  for (const a of reply.items) list.append(activityItem(a));
}
/** One activity found: its slots (loaded from GET /activities/{id}), the sign-up button, the answer. */
function activityItem(a) {
  const status = h("p", { class: "meta", "aria-live": "polite" });
  const slots = h("div");
  let picker = { value: () => 0 };
  let detail = null;
  const load = async () => {
    try {
      detail = await api("GET", `/activities/${a.activity_id}`, { token: token() || undefined });
      picker = slotPicker(detail, `slot-${a.activity_id}`);
      slots.replaceChildren(picker.el);
    } catch { /* the list still signs up for the first slot */ }
  };
  const button = h("button", { type: "button", "data-activity": a.activity_id }, t("find.signup"));
  button.addEventListener("click", async () => {
    if (!token()) { status.textContent = t("find.login_first"); return; }
    button.disabled = true;
    try {
      const r = await api("POST", `/activities/${a.activity_id}/signups`, { token: token(), body: { slot: picker.value() } });
      await load();
      status.textContent = signupText(r, detail);
      status.className = "notice";
    } catch (err) {
      status.className = "alert"; status.textContent = err.message;
    } finally { button.disabled = false; }
  });
  load().then(() => {
    const mine = mySignup(detail);
    if (mine && !status.textContent) { status.textContent = t("signup.mine", { what: signupText(mine, detail) }); status.className = "notice"; }
  });
  return h("li", {}, h("h3", {}, a.title),
    h("p", { class: "meta" }, `${label("kind", a.service_kind)} · ${label("group", a.target_group)} · ${a.place}`),
    h("p", { class: "meta" }, `${fmtTime(a.starts_at)} – ${fmtTime(a.ends_at)}`), slots, button, status);
}
onSubmit($("#find-form"), search, paintActivities);

// --- my sign-ups, check-in by code (typed or scanned)
async function paintSignups() {
  const list = $("#my-signups"), select = $("#c-activity");
  if (!token()) { list.replaceChildren(h("li", {}, t("login.needed"))); return; }
  const reply = await api("GET", `/volunteers/${me()}/signups`, { token: token() });
  list.replaceChildren(...(reply.items.length ? reply.items.map((s) => h("li", {},
    h("h3", {}, s.title), h("p", { class: "meta" }, s.ends_at ? fmtSlot(s.starts_at, s.ends_at) : fmtTime(s.starts_at)),
    h("p", {}, h("span", { class: `badge ${s.status === "confirmed" ? "ok" : "warn"}` },
      s.status === "waitlisted" ? t("signup.waitlisted", { n: s.position }) : t(`signup.${s.status}`))),
    h("button", { type: "button", class: "secondary", onclick: async (ev) => {
      ev.target.disabled = true;
      try { await api("DELETE", `/activities/${s.activity_id}/signups/${me()}`, { token: token() }); await paintSignups(); }
      catch (err) { ev.target.after(h("p", { class: "alert" }, err.message)); ev.target.disabled = false; }
    } }, t("signup.cancel")))) : [h("li", {}, t("signups.none"))]));
  select.replaceChildren(...reply.items.filter((s) => s.status === "confirmed").map((s) => h("option", { value: s.activity_id }, `${s.title} · ${fmtTime(s.starts_at)}`)));
}
async function mark(which) {
  const form = $("#checkin-form");
  clearErrors(form);
  try {
    const r = await api("POST", `/activities/${$("#c-activity").value}/${which}`, { token: token(), body: { code: $("#c-code").value.trim() } });
    say($("#checkin-result"), t(which === "checkins" ? "checkin.done_in" : "checkin.done_out", { at: fmtTime(r.at) }));
  } catch (err) { showError(form, err); say($("#checkin-result"), ""); }
}
$("#checkin-form").addEventListener("submit", (ev) => { ev.preventDefault(); mark("checkins"); });
$("#checkout").addEventListener("click", () => mark("checkouts"));
// Scanning needs the browser's BarcodeDetector (Chrome on Android, ChromeOS, macOS); elsewhere the code is typed.
if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
  const scan = $("#scan");
  scan.hidden = false;
  scan.addEventListener("click", async () => {
    const video = $("#scan-video");
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const tick = async () => {
      const [found] = await detector.detect(video).catch(() => []);
      if (!found) { requestAnimationFrame(tick); return; }
      stream.getTracks().forEach((tr) => tr.stop()); video.hidden = true;
      const url = new URL(found.rawValue.replace(/^zhiyuan:\/\//, "https://x/"));
      if (url.searchParams.get("activity")) $("#c-activity").value = url.searchParams.get("activity");
      $("#c-code").value = url.searchParams.get("code") || "";
      mark("checkins");
    };
    tick();
  });
}

// --- records, with corrections and disputes
async function paintRecords() {
  const list = $("#record-list");
  if (!token()) { list.replaceChildren(h("li", {}, t("login.needed"))); return; }
  const reply = await api("GET", `/volunteers/${me()}/records`, { token: token() });
  $("#records-total").textContent = t("records.total", { h: hours(reply.total_minutes), tr: hours(reply.training_minutes) });
  list.replaceChildren(...(reply.items.length ? reply.items.map((r) => {
    const flags = [r.backfilled && t("flag.backfilled"), r.late && t("flag.late"), r.corrected && t("flag.corrected"), r.status !== "active" && t(`record.${r.status}`)].filter(Boolean);
    const history = h("ol", { class: "meta" }, ...(r.history || []).map((c) => h("li", {},
      `${t(`change.${c.change}`)} ${hours(c.minutes)}${c.reason ? " — " + c.reason : ""}${c.at ? " · " + fmtTime(c.at) : ""}`)));
    const form = h("form", { class: "inline", novalidate: true, hidden: true },
      h("div", { class: "alert", role: "alert" }),
      h("div", { class: "row" }, h("label", { for: `d-reason-${r.record_id}` }, t("f.dispute_reason")), h("input", { id: `d-reason-${r.record_id}`, name: "reason" })),
      h("div", { class: "row" }, h("label", { for: `d-min-${r.record_id}` }, t("f.claimed_minutes")), h("input", { id: `d-min-${r.record_id}`, name: "claimed_minutes", type: "number", min: 0 })),
      h("button", { type: "submit" }, t("dispute.submit")));
    onSubmit(form, (fd) => api("POST", `/records/${r.record_id}/disputes`, { token: token(), body: {
      reason: fd.get("reason").trim(), ...(fd.get("claimed_minutes") ? { claimed_minutes: Number(fd.get("claimed_minutes")) } : {}) } }),
    (a) => { form.replaceWith(h("p", { class: "notice" }, t("dispute.opened", { n: a.dispute_no }))); });
    return h("li", { "data-record": r.record_id }, h("h3", {}, r.title || label("kind", r.service_kind)),
      h("p", {}, h("b", {}, hours(r.minutes)), r.original_minutes !== r.minutes ? ` (${t("records.original")} ${hours(r.original_minutes)})` : "",
        " ", ...flags.map((f) => h("span", { class: "badge warn" }, f))),
      h("p", { class: "meta" }, `${fmtTime(r.started_at)} – ${fmtTime(r.ended_at)} · ${r.place || ""}`),
      h("details", {}, h("summary", {}, t("records.history")), history),
      h("button", { type: "button", class: "secondary", onclick: (ev) => { form.hidden = false; ev.target.hidden = true; form.querySelector("input").focus(); } }, t("dispute.open")),
      form);
  }) : [h("li", {}, t("records.none"))]));
}

// --- star level and certificate
async function paintStar() {
  const card = $("#star-card");
  if (!token()) { card.replaceChildren(t("login.needed")); return; }
  const r = await api("GET", `/volunteers/${me()}/recognition`, { token: token() });
  const thresholds = r.thresholds_minutes || [];
  const next = thresholds[r.star_level], prev = r.star_level ? thresholds[r.star_level - 1] : 0;
  const share = next ? Math.max(0, Math.min(1, (r.total_minutes - prev) / (next - prev))) : 1;
  card.replaceChildren(
    h("p", { class: "stars", "aria-label": t("star.level", { n: r.star_level }) }, "★".repeat(r.star_level) + "☆".repeat(5 - r.star_level)),
    h("p", { id: "star-level" }, t("star.level", { n: r.star_level }), " · ", t("star.total", { h: hours(r.total_minutes) })),
    h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(share * 100), "aria-label": t("star.progress") },
      h("span", { style: `width:${(share * 100).toFixed(1)}%` })),
    h("p", { class: "meta" }, r.next_level_minutes === null ? t("star.max") : t("star.next", { h: hours(r.next_level_minutes), n: r.star_level + 1 })),
    h("p", { class: "meta" }, t("star.periods", { y: hours(r.periods?.year?.minutes), q: hours(r.periods?.quarter?.minutes) })));
}
$("#cert-download").addEventListener("click", async () => {
  const out = $("#cert-result");
  out.replaceChildren();
  try {
    const info = await api("GET", `/volunteers/${me()}/certificate`, { token: token(), query: { format: "json" } });
    const pdf = await (await api("GET", `/volunteers/${me()}/certificate`, { token: token(), raw: true })).blob();
    const url = URL.createObjectURL(pdf);
    out.append(h("p", { class: "notice", id: "cert-code" }, t("cert.code", { code: info.code_display || info.code, no: info.certificate_no })),
      h("p", {}, h("a", { href: url, download: `${info.certificate_no}.pdf`, id: "cert-link" }, t("cert.save"))),
      h("p", {}, h("a", { href: `/portal/verify.html?code=${encodeURIComponent(info.code)}` }, t("cert.verify_link"))));
    out.querySelector("#cert-link").click();
  } catch (err) {
    out.append(h("p", { class: "alert", role: "alert" }, err.message));
  }
});

async function refresh() {
  const tab = location.hash.slice(1);
  try {
    if (tab === "signups") await paintSignups();
    if (tab === "records") await paintRecords();
    if (tab === "star") await paintStar();
  } catch (err) {
    $("#whoami").className = "alert"; $("#whoami").textContent = err.message;
  }
}
document.addEventListener("tab", refresh);
showTab();
applyI18n();
paintWho();
