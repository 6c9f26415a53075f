// One dictionary per language; zh is the default. Elements carry data-i18n="key"
// (text), data-i18n-placeholder / data-i18n-aria-label / data-i18n-title (attributes).
import { zh, en } from "./dict.js";

const dictionaries = { zh, en };
let lang = localStorage.getItem("zy.lang") === "en" ? "en" : "zh";
const listeners = [];

export function currentLang() { return lang; }

export function t(key, vars = {}) {
  let text = dictionaries[lang][key] ?? dictionaries.zh[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ["placeholder", "aria-label", "title"]) {
    const data = "i18n" + attr.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase());
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

export function onLangChange(fn) { listeners.push(fn); }

export function setLang(next) {
  lang = next === "en" ? "en" : "zh";
  localStorage.setItem("zy.lang", lang);
  applyI18n();
  for (const fn of listeners) fn(lang);
}

/** A label from a vocabulary: t("kind.elderly_care"), falling back to the code. */
export function label(group, code) {
  const key = `${group}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}
