import { initPage } from "./ui.js";
initPage({ title: "app.full" });
