//! Snippets: a window of a record's text around the query terms, with highlight ranges in UTF-16.

use crate::core::tokenize::{self};
use crate::engine::query::ParsedQuery;
use std::collections::HashSet;

/// Characters of body text in a snippet.
pub(super) const SNIPPET_CHARS: usize = 120;

/// UTF-16 ranges of `spans` (byte ranges into `text`), merged where they touch.
pub(super) fn utf16_ranges(text: &str, mut spans: Vec<(usize, usize)>) -> Vec<[usize; 2]> {
    spans.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let u16_at = |byte: usize| text[..byte].encode_utf16().count();
    merged.into_iter().map(|(a, b)| [u16_at(a), u16_at(b)]).collect()
}

/// The terms to highlight: what chains (words, bigrams) plus lone characters typed on their own.
pub(crate) fn highlight_terms(parsed: &ParsedQuery) -> HashSet<String> {
    parsed
        .free
        .iter()
        .chain(&parsed.phrases)
        .flat_map(|t| tokenize::terms(t))
        .filter(|t| t.chain)
        .map(|t| t.text)
        .collect()
}

/// Byte spans of `text` whose tokens are in `terms`.
pub(super) fn matching_spans(text: &str, terms: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    tokenize::each_term(text, |t| {
        if t.chain && terms.contains(t.text) {
            spans.push((t.from, t.to));
        }
    });
    spans
}

/// A window of `body` around the densest cluster of query terms, with highlight ranges.
pub(crate) fn snippet(body: &str, terms: &HashSet<String>) -> (String, Vec<[usize; 2]>) {
    let spans = matching_spans(body, terms);
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    if chars.len() <= SNIPPET_CHARS {
        return (body.to_string(), utf16_ranges(body, spans));
    }
    // Best window start (in chars): the one covering the most distinct matched terms.
    let char_of = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    let starts: Vec<usize> = spans.iter().map(|s| char_of(s.0)).collect();
    let mut best = (0usize, 0usize);
    for &s in &starts {
        let from = s.saturating_sub(SNIPPET_CHARS / 6);
        let covered: HashSet<&str> = spans
            .iter()
            .zip(&starts)
            .filter(|(_, c)| **c >= from && **c < from + SNIPPET_CHARS)
            .map(|(sp, _)| &body[sp.0..sp.1])
            .collect();
        if covered.len() > best.1 {
            best = (from, covered.len());
        }
    }
    let from = best.0.min(chars.len() - SNIPPET_CHARS);
    let to = from + SNIPPET_CHARS;
    let (a, b) = (chars[from].0, chars.get(to).map_or(body.len(), |c| c.0));
    let prefix = if from > 0 { "…" } else { "" };
    let suffix = if b < body.len() { "…" } else { "" };
    let text = format!("{prefix}{}{suffix}", &body[a..b]);
    let shift = prefix.len();
    let inside = spans
        .into_iter()
        .filter(|s| s.0 >= a && s.1 <= b)
        .map(|s| (s.0 - a + shift, s.1 - a + shift))
        .collect();
    let ranges = utf16_ranges(&text, inside);
    (text, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn snippet_centres_on_the_terms_and_ranges_count_utf16() {
        let body = format!("{}盐碱地改良剂{}", "甲".repeat(300), "乙".repeat(300));
        let terms: HashSet<String> = ["盐碱", "碱地"].iter().map(|s| s.to_string()).collect();
        let (text, ranges) = snippet(&body, &terms);
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert_eq!(ranges.len(), 1);
        let u16: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16(&u16[ranges[0][0]..ranges[0][1]]).unwrap(), "盐碱地");
    }
}
