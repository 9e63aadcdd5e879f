// The demo portal around <tech-match>: switches the page and the widget between Chinese and English,
// and answers the widget's "contact" (tm-contact) with the portal's own form, as a real portal would
// (the contacts are confidential and not in the bundle; the portal's server knows them).
const widget = document.getElementById("tm");
const contact = document.getElementById("contact");

function setLang(lang) {
  document.documentElement.lang = lang === "en" ? "en" : "zh";
  widget.setAttribute("lang", lang);
  for (const el of document.querySelectorAll("[data-zh]")) el.textContent = el.dataset[lang];
  for (const b of document.querySelectorAll("[data-lang]"))
    b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  try {
    localStorage.setItem("techmatch.portal.lang", lang);
  } catch {}
}

for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang));
let saved = null;
try {
  saved = localStorage.getItem("techmatch.portal.lang");
} catch {}
if (saved === "en" || saved === "zh") setLang(saved);

widget.addEventListener("tm-contact", (e) => {
  const { id, title, for: forId } = e.detail;
  const en = document.documentElement.lang === "en";
  const about = en ? `About: ${title} (${id})` : `对接对象：${title}（${id}）`;
  const found = forId ? (en ? `, found for ${forId}` : `，为 ${forId} 匹配`) : "";
  const form = contact.querySelector("form");
  form.reset();
  form.dataset.id = id;
  contact.querySelector(".about").textContent = about + found;
  contact.querySelector(".sent").hidden = true;
  contact.querySelector('button[value="send"]').hidden = false;
  contact.showModal();
});
contact.querySelector("form").addEventListener("submit", (e) => {
  // A real portal posts the form to its server here; the demo only says it was received.
  if (e.submitter?.value !== "send") return;
  e.preventDefault();
  contact.querySelector(".sent").hidden = false;
  e.submitter.hidden = true;
});
