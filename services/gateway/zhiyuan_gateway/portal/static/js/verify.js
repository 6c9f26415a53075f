import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";
import { $, h, initPage, onSubmit, hours, fmtTime } from "./ui.js";

initPage({ title: "portal.verify" });
const form = $("#verify-form");
onSubmit(form, async (fd) => {
  const code = fd.get("code").replace(/[\s-]/g, "").toUpperCase();
  try { return await api("GET", `/certificates/${encodeURIComponent(code)}`); }
  catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new ApiError(404, { detail: t("verify.unknown"), errors: [{ field: "code", message: t("verify.unknown") }] });
    throw err;
  }
}, (c) => {
  const cert = c.certificate || c;
  const svc = cert.service || {};
  $("#verify-result").replaceChildren(h("div", { class: "card" },
    h("h2", {}, h("span", { class: `badge ${c.status === "valid" ? "ok" : "bad"}`, id: "verify-status" }, t(`verify.${c.status || "valid"}`)), " ", cert.certificate_no || c.certificate_no || ""),
    h("p", {}, `${t("verify.holder")}: ${cert.volunteer?.name_masked || ""} (${cert.volunteer?.registration_no || ""})`),
    h("p", {}, `${t("verify.total")}: ${hours(svc.total_minutes)} · ${t("verify.records")}: ${svc.records ?? ""}`),
    h("p", { class: "meta" }, `${t("verify.issued")}: ${fmtTime(c.issued_at || cert.issued_at)}`)));
});
const preset = new URLSearchParams(location.search).get("code");
if (preset) { $("#v-code").value = preset; form.requestSubmit(); }
