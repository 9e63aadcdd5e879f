//! Match scoring: a pair's score out of 0–100 as the sum of its reasons, each with its contribution.
//!
//! Score (0–100) = text + tags, each part reported as a reason with its contribution:
//! - `terms`: up to 60 = 60 × (0.7 · BM25 ÷ best candidate's BM25 × anchor + 0.3 · share), where
//!   BM25 sums over every source term (its 400 strongest, each weighed by tf × idf; title and
//!   keywords at half the body for the 40 strongest, see [`super::candidates`]), share is the part of those terms'
//!   weight that the candidate contains — terms no record holds count too — and anchor =
//!   min(1, the largest share among the candidates ÷ [`FULL_SHARE`]), so the best of poor
//!   candidates stays a poor match; the detail lists matched phrases.
//! - `industry` +12 when they share an industry; `field` +8 when they share a technology field.
//! - `trl_fit` +8 when the result's TRL lies in the need's range; `trl_miss` −4 per level
//!   outside it (at most −12).
//! - `mode_fit` +8 when a transfer mode satisfies a coop mode (domain rule in
//!   [`taxonomy::mode_satisfied_by`]); `mode_conflict` −10 when none does.
//! - `open` +4 while the need's deadline has not passed; `expired` −10 after.
//! - `region` +3 same city, +2 same province: a tie-breaker.
//!
//! Tags support text, they do not replace it: positive tag points are scaled by
//! min(1, text ÷ 18), so a candidate that shares only tags with the source stays near the
//! bottom; penalties (TRL miss, mode conflict, expired) always count in full.

use crate::core::record::{parse_date, PublicRecord};
use crate::core::taxonomy;
use crate::engine::Reason;

pub(super) const TEXT_POINTS: f32 = 60.0;

pub(super) const INDUSTRY_POINTS: f32 = 12.0;

pub(super) const FIELD_POINTS: f32 = 8.0;

pub(super) const TRL_FIT_POINTS: f32 = 8.0;

pub(super) const TRL_MISS_PER_LEVEL: f32 = 4.0;

pub(super) const TRL_MISS_MAX: f32 = 12.0;

pub(super) const MODE_FIT_POINTS: f32 = 8.0;

pub(super) const MODE_CONFLICT_POINTS: f32 = -10.0;

pub(super) const OPEN_POINTS: f32 = 4.0;

pub(super) const EXPIRED_POINTS: f32 = -10.0;

pub(super) const SAME_CITY_POINTS: f32 = 3.0;

pub(super) const SAME_PROVINCE_POINTS: f32 = 2.0;

/// The largest share among a source's candidates from which the BM25 part of `terms` counts in
/// full: on the seeds, a need's best-sharing candidate holds 0.32 of the weight of all its terms
/// at the median (quartiles 0.28 and 0.36: a need states a problem, a result its solution, and a
/// need's every term counts, its company and its deadline too); a real need of `needs-dev`
/// against the CSL papers, 0.08.
pub(super) const FULL_SHARE: f32 = 0.32;

/// Text points from which tag evidence counts in full (30% of [`TEXT_POINTS`]).
pub(super) const TAG_GATE_POINTS: f32 = 18.0;

pub(super) fn reason(kind: &str, detail: String, contribution: f32) -> Reason {
    Reason {
        kind: kind.into(),
        detail,
        contribution,
    }
}

pub(super) fn shared(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| b.contains(x)).cloned().collect()
}

/// Tag evidence between a need and a result (in that order).
pub(super) fn tag_reasons(need: &PublicRecord, result: &PublicRecord, today: i64) -> Vec<Reason> {
    let mut out = Vec::new();
    let industries = shared(&need.industries, &result.industries);
    if !industries.is_empty() {
        out.push(reason("industry", industries.join(", "), INDUSTRY_POINTS));
    }
    let fields = shared(&need.fields, &result.fields);
    if !fields.is_empty() {
        out.push(reason("field", fields.join(", "), FIELD_POINTS));
    }
    if let (Some(t), Some(lo), Some(hi)) = (
        result.trl_min,
        need.trl_min.or(need.trl_max),
        need.trl_max.or(need.trl_min),
    ) {
        let detail = format!("TRL {t} / {lo}–{hi}");
        if (lo..=hi).contains(&t) {
            out.push(reason("trl_fit", detail, TRL_FIT_POINTS));
        } else {
            let distance = if t < lo { lo - t } else { t - hi };
            out.push(reason(
                "trl_miss",
                detail,
                -(TRL_MISS_PER_LEVEL * f32::from(distance)).min(TRL_MISS_MAX),
            ));
        }
    }
    if !need.modes.is_empty() && !result.modes.is_empty() {
        let fit: Vec<String> = need
            .modes
            .iter()
            .filter(|m| taxonomy::mode_satisfied_by(m, &result.modes))
            .cloned()
            .collect();
        if fit.is_empty() {
            out.push(reason(
                "mode_conflict",
                format!("{} / {}", need.modes.join(", "), result.modes.join(", ")),
                MODE_CONFLICT_POINTS,
            ));
        } else {
            out.push(reason("mode_fit", fit.join(", "), MODE_FIT_POINTS));
        }
    }
    if let Some(d) = need.deadline.as_deref() {
        match parse_date(d) {
            Some(day) if day >= today => out.push(reason("open", d.to_string(), OPEN_POINTS)),
            Some(_) => out.push(reason("expired", d.to_string(), EXPIRED_POINTS)),
            None => {}
        }
    }
    if let (Some(a), Some(b)) = (&need.region, &result.region) {
        if a == b {
            out.push(reason(
                "region",
                result.region_name.clone().unwrap_or_else(|| b.clone()),
                SAME_CITY_POINTS,
            ));
        } else if need.province.is_some() && need.province == result.province {
            out.push(reason(
                "region",
                result.province.clone().unwrap_or_default(),
                SAME_PROVINCE_POINTS,
            ));
        }
    }
    out
}

/// The reasons of a pair: its `terms` (text points, matched phrases), then its tags, whose positive
/// points are scaled by min(1, text points ÷ [`TAG_GATE_POINTS`]).
pub(super) fn pair_reasons(
    source: &PublicRecord,
    target: &PublicRecord,
    text_points: f32,
    phrases: String,
    today: i64,
) -> Vec<Reason> {
    let (need, result) = if source.kind().is_demand() {
        (source, target)
    } else {
        (target, source)
    };
    let gate = (text_points / TAG_GATE_POINTS).min(1.0);
    let mut reasons = vec![reason("terms", phrases, text_points)];
    reasons.extend(tag_reasons(need, result, today).into_iter().map(|mut r| {
        if r.contribution > 0.0 {
            r.contribution *= gate;
        }
        r
    }));
    reasons
}

/// A pair's score: its reasons' contributions, summed, within 0–100.
pub(super) fn total(reasons: &[Reason]) -> f32 {
    reasons.iter().map(|r| r.contribution).sum::<f32>().clamp(0.0, 100.0)
}
