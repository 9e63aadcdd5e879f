//! Assemble: a checked field map becomes a typed record (common part, need, result, IPR).

use serde_json::Value;

use super::validate::{
    is_schema_field, type_name, Checker, ADVANTAGES_MAX, COMMON_FIELDS, EN_FACTOR, KEYWORD_MAX, MAX_ID, MAX_KEYWORDS,
    MAX_LIST, NEED_FIELDS, RESULT_FIELDS, SHORT_MAX, TEXT_MAX, TITLE_MAX,
};
use crate::core::record::{Common, Ipr, Kind, Need, Price, Record, ResearchResult};
use crate::core::taxonomy;

impl Checker<'_> {
    pub(super) fn id(&mut self) -> Option<String> {
        let id = self.string("id", true, MAX_ID)?;
        if id.chars().any(char::is_whitespace) {
            self.problem("id", format!("must not contain spaces: {id:?}"));
            return None;
        }
        Some(id)
    }

    pub(super) fn common(&mut self, id: &str, kind: Kind) -> Common {
        let lang = self.string("lang", false, 2).unwrap_or_else(|| "zh".into());
        if lang != "zh" && lang != "en" {
            self.problem("lang", format!("must be \"zh\" or \"en\", found {lang:?}"));
        }
        self.lang_factor = if lang == "en" { EN_FACTOR } else { 1 };
        let title = self.text("title", true, TITLE_MAX).unwrap_or_default();
        let summary = self.text("summary", true, TEXT_MAX).unwrap_or_default();
        let kw_limit = KEYWORD_MAX * self.lang_factor;
        let keywords = self.list(
            "keywords",
            false,
            MAX_KEYWORDS,
            |k| (k.chars().count() <= kw_limit).then(|| k.to_string()),
            |_| format!("keyword longer than {kw_limit} characters"),
        );
        let industries = self.list(
            "industries",
            true,
            MAX_LIST,
            |v| taxonomy::industry(v).map(str::to_string),
            |v| format!("unknown industry {v:?}"),
        );
        let fields = self.list(
            "fields",
            false,
            MAX_LIST,
            |v| taxonomy::FIELDS.contains(&v).then(|| v.to_string()),
            |v| format!("unknown technology field {v:?}"),
        );
        let region = self.string("region", true, 6);
        if let Some(r) = &region {
            if taxonomy::province(r).is_none() {
                self.problem(
                    "region",
                    format!("not a six-digit GB/T 2260 code of a known province: {r:?}"),
                );
            }
        }
        let region_name = self.string("region_name", false, SHORT_MAX);
        let deadline = self.date("deadline", kind.is_demand());
        let published = self.date("published", false);
        if let (Some(p), Some(d)) = (&published, &deadline) {
            if p > d {
                self.problem("published", format!("published {p} is after the deadline {d}"));
            }
        }
        let contact = self.string("contact", true, SHORT_MAX);
        Common {
            id: id.to_string(),
            title,
            summary,
            keywords,
            industries,
            fields,
            region,
            region_name,
            deadline,
            published,
            lang,
            contact,
        }
    }

    /// An optional list of free names (people, organisations): any text, no vocabulary.
    fn names(&mut self, field: &str) -> Vec<String> {
        self.list(field, false, MAX_LIST, |p| Some(p.to_string()), str::to_string)
    }

    pub(super) fn modes(&mut self, field: &str, vocabulary: &'static [&'static str]) -> Vec<String> {
        self.list(
            field,
            true,
            vocabulary.len(),
            |m| vocabulary.contains(&m).then(|| m.to_string()),
            |m| format!("unknown mode {m:?}, expected one of {}", vocabulary.join(" ")),
        )
    }

    pub(super) fn need(&mut self, common: Common, challenge: bool) -> Need {
        let problem = self.text("problem", false, TEXT_MAX);
        let key_requirements = self.text("key_requirements", false, TEXT_MAX);
        let expected_outcome = self.text("expected_outcome", false, TEXT_MAX);
        let trl_min = self.trl("trl_min");
        let trl_max = self.trl("trl_max");
        if let (Some(lo), Some(hi)) = (trl_min, trl_max) {
            if lo > hi {
                self.problem("trl_min", format!("trl_min {lo} is above trl_max {hi}"));
            }
        }
        let coop_modes = self.modes("coop_modes", &taxonomy::COOP_MODES);
        let budget_min = self.number("budget_min", false);
        let budget_max = self.number("budget_max", false);
        if let (Some(lo), Some(hi)) = (budget_min, budget_max) {
            if lo > hi {
                self.problem("budget_min", format!("budget_min {lo} is above budget_max {hi}"));
            }
        }
        let bounty = self.number("bounty", challenge);
        if bounty.is_some() && !challenge {
            self.problem("bounty", "only a challenge (kind \"challenge\") carries a bounty");
        }
        let anonymous = self.boolean("anonymous");
        let org = self.string("org", true, SHORT_MAX);
        let credit_code = self.string("credit_code", false, 18);
        let public_alias = self.string("public_alias", anonymous, SHORT_MAX);
        let intended_partners = self.names("intended_partners");
        Need {
            common,
            challenge,
            problem,
            key_requirements,
            expected_outcome,
            trl_min,
            trl_max,
            coop_modes,
            budget_min,
            budget_max,
            bounty,
            org,
            credit_code,
            anonymous,
            public_alias,
            intended_partners,
        }
    }

    pub(super) fn ipr(&mut self) -> Vec<Ipr> {
        let Some(v) = self.get("ipr").cloned() else {
            return Vec::new();
        };
        let Value::Array(items) = v else {
            self.problem(
                "ipr",
                format!("expected an array of {{type, status, number}}, found {}", type_name(&v)),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match serde_json::from_value::<Ipr>(item.clone()) {
                Ok(ipr) if !taxonomy::IPR_TYPES.contains(&ipr.kind.as_str()) => {
                    self.problem("ipr", format!("item {}: unknown type {:?}", i + 1, ipr.kind))
                }
                Ok(ipr) if !taxonomy::IPR_STATUSES.contains(&ipr.status.as_str()) => {
                    self.problem("ipr", format!("item {}: unknown status {:?}", i + 1, ipr.status))
                }
                Ok(ipr) => out.push(ipr),
                Err(e) => self.problem("ipr", format!("item {}: {e}", i + 1)),
            }
        }
        out
    }

    pub(super) fn result(&mut self, common: Common) -> ResearchResult {
        let result_type = self.string("result_type", true, SHORT_MAX);
        if let Some(t) = &result_type {
            if !taxonomy::RESULT_TYPES.contains(&t.as_str()) {
                self.problem(
                    "result_type",
                    format!(
                        "unknown result type {t:?}, expected one of {}",
                        taxonomy::RESULT_TYPES.join(" ")
                    ),
                );
            }
        }
        let advantages = self.text("advantages", true, ADVANTAGES_MAX);
        let trl = self.required_trl("trl");
        let ipr = self.ipr();
        let transfer_modes = self.modes("transfer_modes", &taxonomy::TRANSFER_MODES);
        let price = match self.get("price").cloned() {
            None => None,
            Some(Value::String(s)) if s.trim() == "面议" => Some(Price::Negotiable("面议".into())),
            Some(Value::Number(_)) => self.number("price", false).map(Price::Amount),
            Some(other) => {
                self.problem("price", format!("expected a number (万元) or \"面议\", found {other}"));
                None
            }
        };
        let holder = self.string("holder", true, SHORT_MAX);
        let inventors = self.names("inventors");
        ResearchResult {
            common,
            result_type,
            advantages,
            trl,
            ipr,
            transfer_modes,
            price,
            holder,
            inventors,
        }
    }

    pub(super) fn record(&mut self, id: &str) -> Option<Record> {
        let kind_text = self.string("kind", true, 16)?;
        let Some(kind) = Kind::parse(&kind_text) else {
            self.problem(
                "kind",
                format!("must be need, challenge or result, found {kind_text:?}"),
            );
            return None;
        };
        let allowed: &[&str] = if kind.is_demand() { &NEED_FIELDS } else { &RESULT_FIELDS };
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !COMMON_FIELDS.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            let reason = if is_schema_field(&k) {
                format!("not a field of a {}", kind.as_str())
            } else {
                "unknown field (a mapping file can rename or ignore it)".to_string()
            };
            self.problem(&k, reason);
        }
        let common = self.common(id, kind);
        Some(match kind {
            Kind::Result => Record::Result(self.result(common)),
            _ => Record::Need(self.need(common, kind == Kind::Challenge)),
        })
    }
}
