import { t, currentLang, setLang, applyI18n, label } from "./i18n.js";
import { ApiError } from "./api.js";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** h("li", {class: "x", onclick}, child, "text") — text always goes in as text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** The header (title, language switch, optional log-out) and the tabs of a page. */
export function initPage({ title, onLogout } = {}) {
  const header = $("header.top");
  const toggle = h("button", { type: "button", id: "lang-toggle", title: "Switch language / 切换语言" });
  const paint = () => { toggle.textContent = currentLang() === "zh" ? "English" : "中文"; };
  toggle.addEventListener("click", () => { setLang(currentLang() === "zh" ? "en" : "zh"); paint(); });
  paint();
  header.append(toggle);
  if (onLogout) header.append(h("button", { type: "button", id: "logout", "data-i18n": "logout", onclick: onLogout }, t("logout")));
  if (title) document.title = t(title);
  applyI18n();
  window.addEventListener("hashchange", showTab);
}

export function showTab() {
  const tabs = $$("nav.tabs a");
  if (!tabs.length) return;
  const wanted = location.hash.slice(1) || tabs[0].getAttribute("href").slice(1);
  let found = false;
  for (const a of tabs) {
    const id = a.getAttribute("href").slice(1);
    const on = id === wanted;
    found ||= on;
    a.toggleAttribute("aria-current", false);
    if (on) a.setAttribute("aria-current", "page");
    const section = document.getElementById(id);
    if (section) section.hidden = !on;
  }
  if (!found) { location.hash = tabs[0].getAttribute("href"); return; }
  document.dispatchEvent(new CustomEvent("tab", { detail: wanted }));
}

const HAN = /[\u4e00-\u9fff]/;

/** The message of a problem's field error in the current language. */
function fieldMessage(err, problem) {
  if (currentLang() === "zh" && err.message_zh) return err.message_zh;
  const parts = String(err.message || "").split(" / ");
  const text = currentLang() === "zh" ? parts[0] : parts[parts.length - 1];
  // An English-only field message in the Chinese page: the problem's Chinese detail says it, when it is about this field alone.
  if (currentLang() === "zh" && !HAN.test(text) && (problem.errors || []).length === 1) {
    const detail = problemDetail(problem);
    if (HAN.test(detail)) return detail;
  }
  return text;
}

function problemDetail(problem) {
  const detail = String(problem.detail || problem.title || "");
  if (detail.includes(" / ")) {
    const parts = detail.split(" / ");
    return currentLang() === "zh" ? parts[0] : parts.slice(1).join(" / ");
  }
  // "中文。 English." — keep the half in the current language when both are there.
  const m = detail.match(/^([^A-Za-z]*[\u3002\uff01])\s+([A-Z].*)$/s);
  if (m) return currentLang() === "zh" ? m[1] : m[2];
  return detail;
}

export function clearErrors(form) {
  for (const el of $$(".field-error", form)) el.remove();
  for (const el of $$("[aria-invalid]", form)) {
    el.removeAttribute("aria-invalid");
    // Give the field back the hint it had before the error (e.g. the ID number's rule).
    if (el.dataset.describedby) el.setAttribute("aria-describedby", el.dataset.describedby);
    else el.removeAttribute("aria-describedby");
    delete el.dataset.describedby;
  }
  const alert = $(".alert", form);
  if (alert) alert.textContent = "";
}

/** Find the input a problem's `errors[].field` names: exact name, then the last segments. */
function inputFor(form, field) {
  const candidates = [field, field.replace(/\[(\d+)\]/g, ".$1")];
  const parts = field.split(/[.[\]]+/).filter(Boolean);
  for (let i = 1; i < parts.length; i++) candidates.push(parts.slice(i).join("."));
  for (const name of candidates) {
    const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) return el;
  }
  return null;
}

/** Show an error answer: each `errors[]` entry next to its field, the rest in the form's alert. */
export function showError(form, err) {
  clearErrors(form);
  const alert = $(".alert", form) || form.prepend(h("div", { class: "alert", role: "alert" })) || $(".alert", form);
  const problem = err instanceof ApiError ? err.problem : { detail: String(err) };
  const unplaced = [];
  for (const fe of problem.errors || []) {
    const input = fe.field ? inputFor(form, fe.field) : null;
    if (!input) { unplaced.push(`${fe.field ? fe.field + ": " : ""}${fieldMessage(fe, problem)}`); continue; }
    const id = `err-${input.name.replace(/[^\w-]/g, "_")}`;
    const msg = h("p", { class: "field-error", id, role: "alert" }, fieldMessage(fe, problem));
    (input.closest(".row") || input.parentElement).append(msg);
    if (!("describedby" in input.dataset)) input.dataset.describedby = input.getAttribute("aria-describedby") || "";
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [id, input.dataset.describedby].filter(Boolean).join(" "));
  }
  const detail = problemDetail(problem);
  alert.textContent = [err instanceof ApiError && err.status === 0 ? t("error.network") : detail, ...unplaced].filter(Boolean).join(" — ");
  const first = $("[aria-invalid=true]", form);
  if (first) first.focus();
}

/** Wire a form: collect(form) → body, send(body) → answer, done(answer). Errors land next to fields. */
export function onSubmit(form, send, done) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const button = $("button[type=submit]", form);
    if (button) button.disabled = true;
    try {
      const answer = await send(new FormData(form));
      if (done) await done(answer);
    } catch (err) {
      showError(form, err);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function say(el, text, kind = "notice") {
  el.className = kind;
  el.textContent = text;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(currentLang() === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

/** A slot's time in Asia/Shanghai: "2026/03/14 14:00–16:00" (the end's date too when it is another day). */
export function fmtSlot(startIso, endIso) {
  const locale = currentLang() === "zh" ? "zh-CN" : "en-GB";
  const day = (iso) => new Date(iso).toLocaleDateString(locale, { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
  const time = (iso) => new Date(iso).toLocaleTimeString(locale, { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const end = day(endIso) === day(startIso) ? time(endIso) : `${day(endIso)} ${time(endIso)}`;
  return `${day(startIso)} ${time(startIso)}–${end}`;
}

export function hours(minutes) {
  const value = (Number(minutes || 0) / 60).toFixed(1).replace(/\.0$/, "");
  return t("unit.hours", { n: value });
}

/** A <select> of a vocabulary, with an optional empty choice. */
export function fillSelect(select, group, codes, emptyKey) {
  const keep = select.value;
  select.replaceChildren();
  if (emptyKey) select.append(h("option", { value: "" }, t(emptyKey)));
  for (const code of codes) select.append(h("option", { value: code }, label(group, code)));
  if (keep) select.value = keep;
}

/** A local datetime-local value (Asia/Shanghai) → ISO 8601 with the +08:00 offset. */
export function shanghaiIso(value) {
  if (!value) return null;
  return (value.length === 16 ? value + ":00" : value) + "+08:00";
}

export function shortId(id) { return String(id || "").slice(0, 8); }
