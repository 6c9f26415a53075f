// The contract's vocabularies (codes are stable; labels live in dict.js).
export const GENERAL_KINDS = ["traffic_assistance", "sanitation", "patrol", "poverty_relief", "elderly_care", "child_care",
  "disability_support", "convenience_service", "civility_persuasion", "publicity", "blood_donation", "environment", "large_event"];
export const PROFESSIONAL_KINDS = ["medical_care", "legal_aid", "tutoring", "employment_guidance", "translation", "driving",
  "culture_sports", "appliance_repair", "social_survey", "emergency_rescue", "psychological_support"];
export const SERVICE_KINDS = [...GENERAL_KINDS, ...PROFESSIONAL_KINDS];
export const TARGET_GROUPS = ["elderly_living_alone", "left_behind_children", "disabled", "migrant_workers", "migrant_children",
  "families_in_need", "veterans", "residents", "public", "patients", "students", "businesses"];
export const TEAM_KINDS = ["community", "unit", "school", "party_member", "youth_league", "women_federation", "trade_union", "professional"];
export const UNIT_TYPES = ["party_government", "enterprise_institution", "civilized_unit_school", "community_village", "other"];
export const POLITICAL = ["party_member", "league_member", "masses", "other"];
export const TEAM_CHECKLIST = ["has_organization", "has_people", "has_place_or_target", "has_activities", "has_rules"];
export const PLACE_KINDS = ["community", "park", "transit_station", "welfare_home", "school", "other"];
export const STATION_CHECKLIST = ["management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage"];
