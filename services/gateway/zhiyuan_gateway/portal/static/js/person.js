// Registering a person, by themself or by an admin on their behalf: the age and guardian
// rules shown as the ID number is typed (not after submit), the skills, the request body.
import { ApiError } from "./api.js";
import { t, label } from "./i18n.js";
import { h } from "./ui.js";
import { PROFESSIONAL_KINDS } from "./vocab.js";

/** The age an 18-character resident ID number gives today, or null while it is not one. */
export function ageFrom(id) {
  const m = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$/.exec(id.trim());
  if (!m) return null;
  const born = new Date(+m[1], +m[2] - 1, +m[3]), now = new Date();
  let age = now.getFullYear() - born.getFullYear();
  if (now < new Date(now.getFullYear(), born.getMonth(), born.getDate())) age -= 1;
  return age;
}

/**
 * Say the age as the ID number is typed and show the guardian's fieldset at 14–17.
 * `voice` picks the words: "age" speaks to the person, "age.other" about them (an admin's form).
 * Returns the painter, to call again when the language changes.
 */
export function ageRule(idInput, out, guardian, voice = "age") {
  const paint = () => {
    const age = ageFrom(idInput.value);
    guardian.hidden = !(age !== null && age >= 14 && age < 18);
    out.textContent = age === null ? "" : t(`${voice}.${age < 14 ? "under14" : age < 18 ? "minor" : "adult"}`, { age });
    out.className = age !== null && age < 14 ? "field-error" : "hint";
  };
  idInput.addEventListener("input", paint);
  paint();
  return paint;
}

/** The professional skills as checkboxes named `skills`, keeping what was ticked. */
export function paintSkills(container) {
  const checked = new Set([...container.querySelectorAll("input:checked")].map((i) => i.value));
  container.replaceChildren(...PROFESSIONAL_KINDS.map((code) => h("label", {},
    h("input", { type: "checkbox", name: "skills", value: code, checked: checked.has(code) }), label("kind", code))));
}

/** The POST /volunteers body of a registration form; a missing community is refused before sending. */
export function registrationBody(form, guardian) {
  const body = { name: form.get("name").trim(), id_number: form.get("id_number").trim().toUpperCase(), mobile: form.get("mobile").trim(),
    community: form.get("community"), skills: form.getAll("skills") };
  if (form.get("political_status")) body.political_status = form.get("political_status");
  if (form.get("unit_id")) body.unit_id = form.get("unit_id");
  if (!guardian.hidden) {
    body.guardian_consent = { name: form.get("guardian_consent.name").trim(), relation: form.get("guardian_consent.relation").trim(),
      given_on: form.get("guardian_consent.given_on") };
  }
  if (!body.community) {
    throw new ApiError(422, { detail: t("error.fix"), errors: [{ field: "community", message: t("error.community") }] });
  }
  return body;
}
