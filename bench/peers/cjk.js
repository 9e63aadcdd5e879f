// The CJK tokenizer the JS peers (MiniSearch, FlexSearch) use, at index time in node and at query time
// in the browser: NFKC + lowercase; each run of Han/Kana/Hangul gives its characters (unigrams) and
// adjacent pairs (bigrams); other letters and digits give whole words (`pm2.5`, `x80`, `graphene`).
// The same analysis as the CSL reference BM25 (char unigrams + bigrams) in ../shared/README.md.
const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}`;
const WORD = String.raw`[[\p{L}\p{N}]--[${CJK}]]`;
const TOKEN = new RegExp(String.raw`([${CJK}]+)|(${WORD}+(?:[.\-_]${WORD}+)*)`, "gv");

/** Tokens of `text` in order: for a CJK run c1c2c3 → c1, c1c2, c2, c2c3, c3. */
export function tokenize(text) {
  const out = [];
  for (const m of String(text).normalize("NFKC").toLowerCase().matchAll(TOKEN)) {
    if (m[2] !== undefined) {
      out.push(m[2]);
      continue;
    }
    const chars = [...m[1]];
    for (let i = 0; i < chars.length; i++) {
      out.push(chars[i]);
      if (i + 1 < chars.length) out.push(chars[i] + chars[i + 1]);
    }
  }
  return out;
}
