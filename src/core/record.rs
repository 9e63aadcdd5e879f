//! Record: needs and results as techmatch reads them, and the public view that is indexed.
//!
//! [`Need`] and [`ResearchResult`] carry every field of the canonical input, confidential ones
//! included. Only [`PublicRecord`], made by [`Record::public`], ever reaches a bundle: it has no
//! field for contacts, org/credit code of anonymous posters, exact budgets, intended partners or
//! patent numbers, so they cannot leak by accident.

use serde::{Deserialize, Serialize};

use crate::core::taxonomy;

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An enterprise's technology need (企业技术需求).
    Need,
    /// An open call with a bounty (揭榜挂帅榜单); a need for matching purposes.
    Challenge,
    /// A research result (科技成果).
    Result,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Need => "need",
            Kind::Challenge => "challenge",
            Kind::Result => "result",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "need" => Some(Kind::Need),
            "challenge" => Some(Kind::Challenge),
            "result" => Some(Kind::Result),
            _ => None,
        }
    }
    /// Needs and challenges sit on the demand side.
    pub fn is_demand(self) -> bool {
        self != Kind::Result
    }
}

/// Fields that needs and results share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Common {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub keywords: Vec<String>,
    pub industries: Vec<String>,
    pub fields: Vec<String>,
    /// GB/T 2260 code as given (may be county level; published at city level).
    pub region: Option<String>,
    pub region_name: Option<String>,
    /// `YYYY-MM-DD`: a need's closing date, a result's validity.
    pub deadline: Option<String>,
    /// `YYYY-MM-DD` the record was published.
    pub published: Option<String>,
    pub lang: String,
    /// Confidential.
    pub contact: Option<String>,
}

/// An enterprise technology need or an open challenge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Need {
    pub common: Common,
    pub challenge: bool,
    pub problem: Option<String>,
    pub key_requirements: Option<String>,
    pub expected_outcome: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub coop_modes: Vec<String>,
    /// Confidential: published only as [`taxonomy::budget_band`].
    pub budget_min: Option<f64>,
    /// Confidential: published only as [`taxonomy::budget_band`].
    pub budget_max: Option<f64>,
    /// 榜额 (万元), public.
    pub bounty: Option<f64>,
    /// Public unless `anonymous`.
    pub org: Option<String>,
    /// Confidential.
    pub credit_code: Option<String>,
    pub anonymous: bool,
    pub public_alias: Option<String>,
    /// Confidential.
    pub intended_partners: Vec<String>,
}

/// One intellectual-property item of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ipr {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    /// Confidential (patent numbers may be withheld); never published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

/// Asking price of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Price {
    /// 万元.
    Amount(f64),
    /// 面议 or another word.
    Negotiable(String),
}

/// A research result (科技成果).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResearchResult {
    pub common: Common,
    pub result_type: Option<String>,
    pub advantages: Option<String>,
    pub trl: Option<u8>,
    pub ipr: Vec<Ipr>,
    pub transfer_modes: Vec<String>,
    pub price: Option<Price>,
    pub holder: Option<String>,
    pub inventors: Vec<String>,
}

/// A validated record of either side.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Need(Need),
    Result(ResearchResult),
}

/// What the public may see of a record: the only shape stored in a bundle and shown by the widget.
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicRecord {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_requirements: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advantages: Option<String>,
    pub keywords: Vec<String>,
    pub industries: Vec<String>,
    pub fields: Vec<String>,
    /// City-level GB/T 2260 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub lang: String,
    /// Lowest and highest TRL: a need's absorbable range, or a result's level twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_min: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_max: Option<u8>,
    /// Coop modes of a need, transfer modes of a result.
    pub modes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_band: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounty: Option<f64>,
    /// Who offers it, as the public may see: org, public alias or holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "{ type: string; status: string }[]"))]
    pub ipr: Vec<Ipr>,
    /// 万元, or a word such as 面议.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number | string"))]
    pub price: Option<Price>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventors: Vec<String>,
}

impl Record {
    pub fn common(&self) -> &Common {
        match self {
            Record::Need(n) => &n.common,
            Record::Result(r) => &r.common,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Record::Need(n) if n.challenge => Kind::Challenge,
            Record::Need(_) => Kind::Need,
            Record::Result(_) => Kind::Result,
        }
    }

    /// The public view: confidential fields dropped, budget banded, region cut to city level.
    pub fn public(&self) -> PublicRecord {
        let c = self.common();
        let mut p = PublicRecord {
            id: c.id.clone(),
            kind: self.kind().as_str().to_string(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            keywords: c.keywords.clone(),
            industries: c.industries.clone(),
            fields: c.fields.clone(),
            region: c.region.as_deref().map(taxonomy::city_code),
            region_name: c.region_name.clone(),
            province: c.region.as_deref().and_then(taxonomy::province).map(str::to_string),
            deadline: c.deadline.clone(),
            published: c.published.clone(),
            lang: c.lang.clone(),
            ..PublicRecord::default()
        };
        match self {
            Record::Need(n) => {
                p.problem = n.problem.clone();
                p.key_requirements = n.key_requirements.clone();
                p.expected_outcome = n.expected_outcome.clone();
                p.trl_min = n.trl_min;
                p.trl_max = n.trl_max;
                p.modes = n.coop_modes.clone();
                p.budget_band = taxonomy::budget_band(n.budget_min, n.budget_max).map(str::to_string);
                p.bounty = n.bounty;
                p.owner = if n.anonymous {
                    n.public_alias.clone()
                } else {
                    n.org.clone().or(n.public_alias.clone())
                };
            }
            Record::Result(r) => {
                p.advantages = r.advantages.clone();
                p.trl_min = r.trl;
                p.trl_max = r.trl;
                p.modes = r.transfer_modes.clone();
                p.result_type = r.result_type.clone();
                p.ipr = r
                    .ipr
                    .iter()
                    .map(|i| Ipr {
                        number: None,
                        ..i.clone()
                    })
                    .collect();
                p.price = r.price.clone();
                p.owner = r.holder.clone();
                p.inventors = r.inventors.clone();
            }
        }
        p
    }
}

impl PublicRecord {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Need)
    }

    /// The full-text body in display order: what is indexed, snippeted and matched on.
    pub fn body(&self) -> String {
        [
            Some(&self.summary),
            self.problem.as_ref(),
            self.key_requirements.as_ref(),
            self.expected_outcome.as_ref(),
            self.advantages.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, or `None` if it is not a real date.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Day counts of the first and last dates [`parse_date`] reads (`-999-01-01`, `9999-12-31`).
pub const DAYS_READ: std::ops::RangeInclusive<i64> = -1_084_405..=2_932_896;

/// The `YYYY-MM-DD` date of a day count since 1970-01-01 (inverse of [`parse_date`] over
/// [`DAYS_READ`]).
pub fn format_date(days: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_are_the_first_and_last_dates_parse_date_reads() {
        assert_eq!(parse_date("-999-01-01"), Some(*DAYS_READ.start()));
        assert_eq!(parse_date("9999-12-31"), Some(*DAYS_READ.end()));
        assert_eq!(format_date(*DAYS_READ.start()), "-999-01-01");
    }

    #[test]
    fn dates_round_trip() {
        for d in [-1000, 0, 19_782, 20_778, 60_000] {
            assert_eq!(parse_date(&format_date(d)), Some(d));
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-21"), Some(20_778));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026/11/21"), None);
    }

    #[test]
    fn public_view_drops_confidential_fields() {
        let need = Need {
            common: Common {
                id: "n1".into(),
                contact: Some("SECRET-CONTACT".into()),
                region: Some("130921".into()),
                ..Default::default()
            },
            org: Some("SECRET-ORG".into()),
            credit_code: Some("SECRET-CODE".into()),
            anonymous: true,
            public_alias: Some("沧州某企业".into()),
            budget_min: Some(35.5),
            budget_max: Some(80.0),
            intended_partners: vec!["SECRET-PARTNER".into()],
            ..Default::default()
        };
        let p = Record::Need(need).public();
        let json = serde_json::to_string(&p).unwrap();
        for secret in ["SECRET", "35.5", "80"] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        assert_eq!(p.owner.as_deref(), Some("沧州某企业"));
        assert_eq!(p.region.as_deref(), Some("130900"));
        assert_eq!(p.budget_band.as_deref(), Some("50–100万元"));
    }
}
