//! Tokenize: the one analyzer that both the index builder and every query use.
//!
//! Text is normalised per character (NFKC, so full-width `ＰＭ２．５` reads as `PM2.5`, then
//! lowercase) and split into runs:
//! - a run of CJK characters yields every character (a *unigram*) and every pair of
//!   neighbouring characters (a *bigram*); bigram `i` sits at the position of character `i`,
//!   so a phrase query over bigrams matches exactly the verbatim text;
//! - a run of letters and digits (with `.` between digits, as in `PM2.5` or `0.01`) yields
//!   one word, English-stemmed when it is all letters (`coatings` → `coat`);
//! - anything else separates.
//!
//! No dictionary is needed, so the WASM engine stays small; `eval` numbers for this choice
//! are in `BENCHMARKS.md`.
//!
//! [`words`] gives the same runs' Latin words unstemmed: the vocabulary in which a query word
//! is looked up as a substring (`GIS` in `ArcGIS`), so verbatim text is always found.

use std::borrow::Cow;

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Identifies this tokenizer in bundle headers; bump it when tokens change.
pub const TOKENIZER_ID: &str = "cjk-bigram+en-stem/1";
/// Name under which the analyzer is registered in tantivy indexes.
pub const ANALYZER_NAME: &str = "techmatch";
/// Name of the analyzer of unstemmed Latin words ([`words`]).
pub const WORDS_ANALYZER_NAME: &str = "techmatch-words";
/// Words longer than this (in bytes) are dropped from search terms: they are never typed.
const MAX_WORD_BYTES: usize = 64;
/// Longer words (gene sequences, URLs) still count for substring lookups up to this length.
const MAX_RAW_WORD_BYTES: usize = 4096;

/// One token with where it came from in the original text; [`each_term`] lends its text as `&str`.
#[derive(Debug, Clone, PartialEq)]
pub struct Term<S = String> {
    pub text: S,
    /// Byte range in the original text.
    pub from: usize,
    pub to: usize,
    pub position: usize,
    /// `true` for tokens that chain into phrases (bigrams, single-character runs, words);
    /// `false` for the unigrams inside longer CJK runs.
    pub chain: bool,
}

impl Term<&str> {
    fn owned(&self) -> Term {
        Term {
            text: self.text.to_string(),
            from: self.from,
            to: self.to,
            position: self.position,
            chain: self.chain,
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF       // kana
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xF900..=0xFAFF     // compatibility ideographs
        | 0x20000..=0x3134F) // extensions B–G
}

/// CJK unified ideographs (base block and extension A): NFKC and lowercasing leave them as they are.
fn is_unified_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Cjk,
    Word,
    Other,
}

/// Normalised characters of `text`, each with the byte range of the original character.
fn normalised_chars(text: &str) -> Vec<(char, usize, usize)> {
    let mut out = Vec::with_capacity(text.len());
    for (from, c) in text.char_indices() {
        let to = from + c.len_utf8();
        if c.is_ascii() {
            out.push((c.to_ascii_lowercase(), from, to));
            continue;
        }
        if is_unified_ideograph(c) {
            out.push((c, from, to));
            continue;
        }
        for n in std::iter::once(c).nfkc() {
            for l in n.to_lowercase() {
                out.push((l, from, to));
            }
        }
    }
    out
}

fn class(c: char) -> Class {
    if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

fn stem(word: &str) -> Cow<'_, str> {
    if word.bytes().all(|b| b.is_ascii_lowercase()) {
        frostem::Stemmer::new(frostem::Algorithm::English).stem(word)
    } else {
        Cow::Borrowed(word)
    }
}

/// English function words: frequent in any English text, so they say nothing about what a
/// record is about — yet in a mostly Chinese bundle they are rare and so weigh heavily. Words
/// that are also technical abbreviations once lowercased stay out of the list (IT, AM, CAN, US,
/// DOE — `does` stems to `doe`).
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "could", "did", "do", "down",
    "during", "each", "either", "etc", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "may", "might", "more", "most", "must", "my",
    "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same",
    "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "very", "via", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "within", "without",
    "would", "you", "your", "yours",
];

/// Whether a search term (as [`terms`] gives it, stemmed) is an English function word.
pub fn is_stop_word(term: &str) -> bool {
    static STEMMED: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    STEMMED
        .get_or_init(|| STOP_WORDS.iter().flat_map(|w| terms(w)).map(|t| t.text).collect())
        .contains(term)
}

/// Splits `text` into search terms (see the module docs for the rules).
pub fn terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    scan(text, true, |t| out.push(t.owned()));
    out
}

/// Calls `visit` with each of [`terms`] in turn, without allocating a string per term.
pub fn each_term(text: &str, visit: impl FnMut(Term<&str>)) {
    scan(text, true, visit)
}

/// The Latin words of `text`, lowercased and unstemmed; CJK runs are skipped.
pub fn words(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    scan(text, false, |t| out.push(t.owned()));
    out
}

fn scan(text: &str, search_terms: bool, mut visit: impl FnMut(Term<&str>)) {
    let chars = normalised_chars(text);
    let mut buf = String::new();
    let mut position = 0;
    let mut i = 0;
    while i < chars.len() {
        match class(chars[i].0) {
            Class::Other => i += 1,
            Class::Cjk => {
                let start = i;
                while i < chars.len() && class(chars[i].0) == Class::Cjk {
                    i += 1;
                }
                let run = &chars[start..i];
                if !search_terms {
                    continue;
                }
                for (k, &(c, from, to)) in run.iter().enumerate() {
                    buf.clear();
                    buf.push(c);
                    visit(Term {
                        text: &buf,
                        from,
                        to,
                        position,
                        chain: run.len() == 1,
                    });
                    if let Some(&(next, _, next_to)) = run.get(k + 1) {
                        buf.push(next);
                        visit(Term {
                            text: &buf,
                            from,
                            to: next_to,
                            position,
                            chain: true,
                        });
                    }
                    position += 1;
                }
            }
            Class::Word => {
                let start = i;
                while i < chars.len() {
                    let c = chars[i].0;
                    let joins_digits = c == '.'
                        && i > start
                        && chars[i - 1].0.is_ascii_digit()
                        && chars.get(i + 1).is_some_and(|n| n.0.is_ascii_digit());
                    if class(c) == Class::Word || joins_digits {
                        i += 1;
                    } else {
                        break;
                    }
                }
                buf.clear();
                buf.extend(chars[start..i].iter().map(|c| c.0));
                if buf.len()
                    <= if search_terms {
                        MAX_WORD_BYTES
                    } else {
                        MAX_RAW_WORD_BYTES
                    }
                {
                    let text = if search_terms {
                        stem(&buf)
                    } else {
                        Cow::Borrowed(buf.as_str())
                    };
                    visit(Term {
                        text: &text,
                        from: chars[start].1,
                        to: chars[i - 1].2,
                        position,
                        chain: true,
                    });
                    position += 1;
                }
            }
        }
    }
}

/// The tantivy face of [`terms`] (registered as [`ANALYZER_NAME`]) or, with `words_only`,
/// of [`words`] (registered as [`WORDS_ANALYZER_NAME`]).
#[derive(Clone, Default)]
pub struct TechTokenizer {
    pub words_only: bool,
}

/// Token stream over pre-computed [`terms`].
pub struct TechTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for TechTokenizer {
    type TokenStream<'a> = TechTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TechTokenStream {
        let mut tokens = Vec::new();
        scan(text, !self.words_only, |t| {
            tokens.push(Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text.to_string(),
                position_length: 1,
            })
        });
        TechTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for TechTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzer every techmatch index registers under [`ANALYZER_NAME`].
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::from(TechTokenizer { words_only: false })
}

/// The analyzer every techmatch index registers under [`WORDS_ANALYZER_NAME`].
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(TechTokenizer { words_only: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        terms(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn english_function_words_are_stop_words_in_their_stemmed_form() {
        for w in ["The", "and", "TO", "with", "an", "this", "their", "was"] {
            let t = terms(w);
            assert!(is_stop_word(&t[0].text), "{w} → {:?}", t[0].text);
        }
        for w in ["coating", "nuclear", "PM2.5", "盐", "盐碱", "a1", "IT", "CAN", "DOE"] {
            assert!(terms(w).iter().all(|t| !is_stop_word(&t.text)), "{w}");
        }
    }

    #[test]
    fn cjk_runs_give_unigrams_and_bigrams() {
        assert_eq!(texts("盐碱地"), ["盐", "盐碱", "碱", "碱地", "地"]);
        let t = terms("盐碱地");
        assert_eq!((t[1].position, t[3].position), (0, 1), "bigram i sits at character i");
        assert!(!t[0].chain && t[1].chain);
        assert!(terms("盐")[0].chain, "a lone character chains");
    }

    #[test]
    fn words_numbers_and_model_codes() {
        assert_eq!(texts("PM2.5浓度"), ["pm2.5", "浓", "浓度", "度"]);
        assert_eq!(
            texts("CBN刀具 3003铝合金"),
            ["cbn", "刀", "刀具", "具", "3003", "铝", "铝合", "合", "合金", "金"]
        );
        assert_eq!(texts("Anti-corrosion coatings"), ["anti", "corros", "coat"]);
        assert_eq!(texts("版本 1.2."), ["版", "版本", "本", "1.2"]);
    }

    #[test]
    fn fullwidth_folds_and_offsets_point_into_the_original() {
        let s = "采用ＰＭ２．５传感器";
        let t = terms(s);
        let pm = t.iter().find(|t| t.text == "pm2.5").expect("full-width code folds");
        assert_eq!(&s[pm.from..pm.to], "ＰＭ２．５");
    }

    #[test]
    fn words_are_latin_and_unstemmed() {
        let w: Vec<String> = words("基于ArcGIS的coatings分析 PM2.5")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(w, ["arcgis", "coatings", "pm2.5"]);
    }

    #[test]
    fn unified_ideographs_are_left_as_they_are_by_normalisation() {
        for c in (0x3400..=0x4DBF).chain(0x4E00..=0x9FFF).filter_map(char::from_u32) {
            let slow: String = std::iter::once(c).nfkc().flat_map(char::to_lowercase).collect();
            assert_eq!(slow, c.to_string(), "U+{:04X}", c as u32);
        }
        assert!(
            !is_unified_ideograph('\u{F900}'),
            "compatibility ideographs fold under NFKC"
        );
    }

    #[test]
    fn each_term_lends_what_terms_collects() {
        let s = "基于ＰＭ２．５的Anti-corrosion coatings 盐 版本1.2";
        let mut lent = Vec::new();
        each_term(s, |t| lent.push(t.owned()));
        assert_eq!(lent, terms(s));
        assert!(lent.len() > 10);
    }

    #[test]
    fn overlong_words_are_dropped() {
        let long = "a".repeat(100);
        assert!(terms(&long).is_empty());
        assert_eq!(texts(&format!("{long} ok")), ["ok"]);
    }
}
