// An activity's slots as GET /activities/{id} gives them: the time in Asia/Shanghai, the
// places left or the waitlist, and a choice among them when there are several.
import { t } from "./i18n.js";
import { h, fmtSlot } from "./ui.js";

const ACTIVE = new Set(["confirmed", "waitlisted"]);

/** "余 3 个名额" or "已满 · 2 人候补". */
export function slotState(slot) {
  return slot.places_left > 0 ? t("slot.left", { n: slot.places_left }) : t("slot.full", { n: slot.waitlisted });
}

/** The caller's live sign-up on this activity (`my_signup`), or null. */
export function mySignup(activity) {
  const mine = activity?.my_signup;
  return mine && ACTIVE.has(mine.status) ? mine : null;
}

/** What a sign-up answer means to the volunteer; with several slots, which one. */
export function signupText(answer, activity) {
  const text = answer.status === "waitlisted" ? t("signup.waitlisted", { n: answer.position }) : t("signup.confirmed");
  const slots = activity?.slots || [];
  const slot = slots.find((s) => s.slot === answer.slot);
  return slots.length > 1 && slot ? `${text} · ${fmtSlot(slot.starts_at, slot.ends_at)}` : text;
}

/**
 * One slot: a line with its places. Several: a radio group (a fieldset with a legend), each
 * radio named by its time and places, the caller's own slot or else the first with places
 * chosen. `value()` is the chosen 0-based slot index.
 */
export function slotPicker(activity, name) {
  const slots = activity.slots || [];
  if (slots.length <= 1) {
    return { el: h("p", { class: "meta", "data-slot-state": "0" }, slots.length ? slotState(slots[0]) : ""), value: () => 0 };
  }
  const chosen = mySignup(activity)?.slot ?? (slots.find((s) => s.places_left > 0) || slots[0]).slot;
  const el = h("fieldset", { class: "slots" }, h("legend", {}, t("slot.choose")),
    ...slots.map((s) => h("label", {},
      h("input", { type: "radio", name, value: s.slot, checked: s.slot === chosen }),
      h("span", {}, fmtSlot(s.starts_at, s.ends_at)), " · ",
      h("span", { class: `badge ${s.places_left > 0 ? "ok" : "warn"}`, "data-slot-state": s.slot }, slotState(s)))));
  return { el, value: () => Number(el.querySelector("input:checked")?.value ?? 0) };
}
