// The public LED screen: published commendation lists and the year's leaderboard of a
// district or the city (?scope=110105), large type, refreshing itself every minute.
import { api } from "./api.js";
import { t, onLangChange } from "./i18n.js";
import { $, h, initPage, hours, fmtTime } from "./ui.js";
import { cityCode, children, nameOf } from "./divisions.js";

initPage({ title: "portal.screen" });
const params = new URLSearchParams(location.search);
const REFRESH_MS = Number(params.get("refresh") || 60) * 1000;

async function paint() {
  const city = await cityCode();
  const select = $("#sc-scope");
  if (!select.options.length) {
    select.replaceChildren(...[{ code: city, name: await nameOf(city) }, ...(await children(city))].map((d) => h("option", { value: d.code }, d.name)));
    select.value = params.get("scope") || city;
  }
  const scope = select.value;
  $("#scope-name").textContent = await nameOf(scope);
  const [lists, board] = await Promise.all([
    api("GET", "/commendations", { query: { scope, state: "published" } }),
    api("GET", "/leaderboards", { query: { scope: scope === city ? "city" : scope, period: String(new Date().getFullYear()), limit: 10 } }),
  ]);
  $("#lists").replaceChildren(...lists.items.filter((l) => l.state === "published").map((l) => h("section", { "data-list": l.list_id },
    h("h2", {}, `${t(`commend.${l.kind}`)} · ${l.period}`),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("col.rank")), h("th", {}, t("col.name")), h("th", {}, t("col.hours")))),
      h("tbody", {}, ...l.entries.map((e) => h("tr", {}, h("td", {}, e.rank), h("td", {}, e.name_masked || e.team_name || e.team_id), h("td", {}, hours(e.minutes)))))))));
  if (!lists.items.length) $("#lists").append(h("p", { class: "big" }, t("screen.no_lists")));
  $("#leaders").replaceChildren(...board.items.map((e) => h("tr", {}, h("td", {}, e.rank), h("td", {}, e.name_masked), h("td", {}, e.registration_no), h("td", {}, hours(e.minutes)))));
  $("#updated").textContent = t("screen.updated", { at: fmtTime(new Date().toISOString()) });
}
async function loop() {
  try { await paint(); } catch (err) { $("#updated").textContent = err.message; }
  setTimeout(loop, REFRESH_MS);
}
$("#sc-scope").addEventListener("change", () => paint());
onLangChange(() => paint());
loop();
