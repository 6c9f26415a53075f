// The admin's forms for teams, stations and units (POST /teams, /stations, /units) and the
// units list. Like every form of the portals, the API's errors land next to their fields.
import { api, all, ApiError } from "./api.js";
import { t, label } from "./i18n.js";
import { $, h, onSubmit, fillSelect, say } from "./ui.js";
import { TEAM_KINDS, UNIT_TYPES, PLACE_KINDS, STATION_CHECKLIST } from "./vocab.js";
import { communityPicker, nameOf, preloadNames } from "./divisions.js";

/** The units of a district as the choices of a select, after "(optional)". */
export async function fillUnits(select, district, token) {
  const keep = select.value;
  const units = district ? await all("/units", { token, query: { district }, max: 5000, pageSize: 500 }) : [];
  select.replaceChildren(h("option", { value: "" }, t("choose.optional")), ...units.map((u) => h("option", { value: u.unit_id }, u.name)));
  if (keep) select.value = keep;
}

/** The team form's choice of units, for the district it has chosen. */
export function refreshTeamUnits(token) {
  return fillUnits($("#tm-unit"), $("#tm-district").value, token()).catch(() => {});
}

/** A refusal before sending, placed like the API's own: next to the community select. */
function needCommunity(body) {
  if (!body.community) throw new ApiError(422, { detail: t("error.fix"), errors: [{ field: "community", message: t("error.community_org") }] });
  return body;
}

/** Wire a registration form: the answer is said in the form, then the lists are painted again. */
function registration(form, path, collect, done, onCreated, token) {
  const result = $("[data-result]", form);
  onSubmit(form, (fd) => { result.textContent = ""; return api("POST", path, { token: token(), body: collect(fd) }); },
    async (answer) => { say(result, await done(answer)); await onCreated(); });
}

/** The vocabularies of the three forms, in the current language. */
export function paintOrgVocab() {
  fillSelect($("#tm-kind"), "teamkind", TEAM_KINDS);
  fillSelect($("#st-place"), "place", PLACE_KINDS);
  fillSelect($("#un-type"), "unit", UNIT_TYPES);
  const checks = $("#st-checks"), ticked = new Set([...checks.querySelectorAll("input:checked")].map((i) => i.value));
  checks.replaceChildren(...STATION_CHECKLIST.map((k) => h("label", {},
    h("input", { type: "checkbox", name: `checklist.${k}`, value: k, checked: ticked.has(k) }), t(`check.${k}`))));
}

/**
 * Wire the team, station and unit forms once the admin is known: a district admin's pickers
 * offer their own district only. `onCreated` paints the lists again.
 */
export async function wireOrgForms({ token, district, onCreated }) {
  paintOrgVocab();
  await Promise.all(["tm", "st", "un"].map((p) => communityPicker($(`#${p}-district`), $(`#${p}-street`), $(`#${p}-community`), district)));
  const units = () => refreshTeamUnits(token);
  $("#tm-district").addEventListener("change", units);
  await units();

  registration($("#team-form"), "/teams", (fd) => {
    const body = needCommunity({ name: fd.get("name").trim(), kind: fd.get("kind"), community: fd.get("community") });
    if (fd.get("unit_id")) body.unit_id = fd.get("unit_id");
    if (fd.get("leader_volunteer_id").trim()) body.leader_volunteer_id = fd.get("leader_volunteer_id").trim();
    return body;
  }, () => { const name = $("#tm-name").value.trim(); $("#tm-name").value = ""; $("#tm-leader").value = ""; return t("org.team_done", { name }); }, onCreated, token);

  registration($("#station-form"), "/stations", (fd) => needCommunity({ name: fd.get("name").trim(), place_kind: fd.get("place_kind"),
    community: fd.get("community"), checklist: Object.fromEntries(STATION_CHECKLIST.map((k) => [k, fd.get(`checklist.${k}`) !== null])) }),
  () => { const name = $("#st-name").value.trim(); $("#st-name").value = ""; return t("org.station_done", { name }); }, onCreated, token);

  registration($("#unit-form"), "/units", (fd) => needCommunity({ name: fd.get("name").trim(), unit_type: fd.get("unit_type"), community: fd.get("community"),
    headcount: fd.get("headcount") === "" ? null : Number(fd.get("headcount")) }),
  async () => { const name = $("#un-name").value.trim(); $("#un-name").value = ""; await units(); return t("org.unit_done", { name }); }, onCreated, token);
}

/** The units table of the org tab. */
export async function paintUnits(token, query) {
  const units = await all("/units", { token, query, max: 500 });
  await preloadNames(units.map((u) => u.community));
  $("#unit-head").replaceChildren(h("tr", {}, ...["col.name", "col.unit_type", "col.community", "col.headcount"].map((k) => h("th", { scope: "col" }, t(k)))));
  $("#unit-rows").replaceChildren(...(await Promise.all(units.map(async (u) => h("tr", {},
    h("td", {}, u.name), h("td", {}, label("unit", u.unit_type)), h("td", {}, await nameOf(u.community)), h("td", {}, u.headcount))))));
}
