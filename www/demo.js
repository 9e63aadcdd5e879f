// The demo portal around <tech-match>: switches the page and the widget between Chinese and English.
const widget = document.getElementById("tm");

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
