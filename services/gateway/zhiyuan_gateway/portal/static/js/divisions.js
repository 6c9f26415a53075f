// District → street → community pickers from GET /divisions/{code}/children (no token needed).
import { api } from "./api.js";
import { h } from "./ui.js";
import { t } from "./i18n.js";

const cache = new Map();
const names = new Map();

export async function children(code) {
  if (!cache.has(code)) {
    const reply = await api("GET", `/divisions/${code}/children`);
    const items = reply.items || reply.children || [];
    for (const d of items) names.set(d.code, d.name);
    cache.set(code, items);
  }
  return cache.get(code);
}

export async function cityCode() {
  const reply = await api("GET", "/divisions");
  for (const d of reply.items) names.set(d.code, d.name);
  return reply.items[0]?.code || "110000";
}

export async function nameOf(code) {
  if (!code) return "";
  if (!names.has(code)) {
    try { names.set(code, (await api("GET", `/divisions/${code}`)).name); } catch { names.set(code, code); }
  }
  return names.get(code);
}

function fill(select, items, emptyKey) {
  select.replaceChildren(h("option", { value: "" }, t(emptyKey)), ...items.map((d) => h("option", { value: d.code }, d.name)));
}

/** Fill a district <select> with the city's districts. */
export async function fillDistricts(select, emptyKey = "any.district") {
  const city = await cityCode();
  fill(select, await children(city), emptyKey);
  return city;
}

/**
 * Wire district/street/community selects; the community select carries the form's `community` name.
 * With `only` (a district admin's district) that district is the one choice, already chosen.
 */
export async function communityPicker(district, street, community, only = null) {
  if (only) {
    fill(district, [{ code: only, name: await nameOf(only) }], "choose.district");
    district.value = only;
    fill(street, await children(only), "choose.street");
  } else {
    await fillDistricts(district, "choose.district");
  }
  district.addEventListener("change", async () => {
    fill(street, district.value ? await children(district.value) : [], "choose.street");
    fill(community, [], "choose.community");
  });
  street.addEventListener("change", async () => {
    fill(community, street.value ? await children(street.value) : [], "choose.community");
  });
}

/** Pre-select a 12-digit community code in a picker. */
export async function selectCommunity(district, street, community, code) {
  district.value = code.slice(0, 6);
  fill(street, await children(district.value), "choose.street");
  street.value = code.slice(0, 9) + "000";
  fill(community, await children(street.value), "choose.community");
  community.value = code;
}

/** Learn the names of many communities (and their streets) at once: a request per street and district, not per community. */
export async function preloadNames(codes) {
  const wanted = [...new Set(codes)].filter((c) => /^\d{12}$/.test(c || ""));
  const districts = new Set(wanted.map((c) => c.slice(0, 6)));
  const streets = new Set(wanted.map((c) => c.slice(0, 9) + "000"));
  await Promise.all([...districts].map((d) => children(d).catch(() => [])));
  await Promise.all([...streets].map((s) => children(s).catch(() => [])));
}
