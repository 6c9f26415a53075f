// An admin registers a volunteer on someone's behalf: POST /volunteers with the admin's token
// (no volunteer token comes back; the person logs in later with a mobile code).
import { api } from "./api.js";
import { t } from "./i18n.js";
import { $, $$, onSubmit, fillSelect, say } from "./ui.js";
import { POLITICAL } from "./vocab.js";
import { communityPicker } from "./divisions.js";
import { ageRule, paintSkills, registrationBody } from "./person.js";
import { fillUnits } from "./admin-org.js";

let paintAge = () => {};

/** The form's vocabularies and the age line, in the current language. */
export function paintEnrolVocab() {
  fillSelect($("#e-political"), "political", POLITICAL, "choose.optional");
  paintSkills($("#e-skills"));
  paintAge();
}

/** The form's choice of units, for the district it has chosen. */
export function refreshEnrolUnits(token) {
  return fillUnits($("#e-unit"), $("#e-district").value, token()).catch(() => {});
}

/** Wire the form once the admin is known: a district admin registers in their own district. */
export async function wireEnrol({ token, district }) {
  const form = $("#enrol-form"), result = $("#enrol-result");
  paintAge = ageRule($("#e-id"), $("#e-age"), $("#e-guardian"), "age.other");
  paintEnrolVocab();
  await communityPicker($("#e-district"), $("#e-street"), $("#e-community"), district);
  const units = () => refreshEnrolUnits(token);
  $("#e-district").addEventListener("change", units);
  await units();
  onSubmit(form, (fd) => { say(result, ""); return api("POST", "/volunteers", { token: token(), body: registrationBody(fd, $("#e-guardian")) }); },
    (answer) => {
      // The personal data leaves the page once registered; where they live and work stays for the next person.
      for (const el of $$("#e-name, #e-id, #e-mobile, #e-guardian input", form)) el.value = "";
      for (const el of $$("#e-skills input", form)) el.checked = false;
      paintAge();
      say(result, t("enrol.done", { no: answer.registration_no, id: answer.volunteer_id }));
      result.focus();
    });
}
