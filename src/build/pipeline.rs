//! Pipeline: the whole native build, files → ingest → validate → public records → index → bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::build::ingest::{self, Ingested};
use crate::build::mapping::{self, Mapping};
use crate::build::validate::{Problem, Validator};
use crate::build::{hot, writer};
use crate::bundle::Counts;
use crate::core::record::{Kind, Record};

/// What a build produced.
pub struct Built {
    /// The bundle, unless no record was valid.
    pub bundle: Option<Vec<u8>>,
    /// Every problem found, in input order.
    pub problems: Vec<Problem>,
    /// Records indexed, and records left out as invalid.
    pub records: usize,
    pub skipped: usize,
    /// Which confidential fields were dropped or banded, and how often.
    pub confidential: String,
}

/// One input and the mapping its columns are read with, if any.
pub struct Source<'a> {
    pub origin: Origin,
    pub mapping: Option<&'a Mapping>,
}

/// Where a source's records come from.
pub enum Origin {
    /// A file, read by its extension.
    File(PathBuf),
    /// Rows a database query gave ([`super::database`]), named for messages, with the problems
    /// met reading them.
    Rows {
        name: String,
        rows: ingest::Rows,
        problems: Vec<Problem>,
    },
}

/// Reads, validates and indexes `inputs`, all read with the same `mapping`; see [`build_sources`].
pub fn build(inputs: &[PathBuf], mapping: Option<&Mapping>, progress: &dyn Fn(u64, u64)) -> Built {
    let sources: Vec<Source> = inputs
        .iter()
        .map(|path| Source {
            origin: Origin::File(path.clone()),
            mapping,
        })
        .collect();
    build_sources(sources, progress)
}

/// Reads, validates and indexes `sources`, each with its own mapping (and that mapping's
/// `allow_missing` and `limits`); ids must be unique across all of them. The bundle holds the
/// valid records.
///
/// `progress(total, done)` is called as records are indexed.
pub fn build_sources(sources: Vec<Source>, progress: &dyn Fn(u64, u64)) -> Built {
    let mut validator = Validator::new(BTreeSet::new(), BTreeMap::new());
    let mut problems = Vec::new();
    let mut records = Vec::new();
    let mut read = 0;
    for source in sources {
        (validator.allow_missing, validator.limits) = mapping::validation_rules(source.mapping);
        let ingested = match source.origin {
            Origin::File(path) => ingest::read_file(&path, source.mapping),
            Origin::Rows { name, rows, problems } => ingest::ingest_rows(
                &name,
                rows,
                true,
                source.mapping,
                Ingested {
                    records: Vec::new(),
                    problems,
                },
            ),
        };
        problems.extend(ingested.problems);
        read += ingested.records.len();
        for raw in &ingested.records {
            match validator.check(raw) {
                Ok(r) => records.push(r),
                Err(p) => problems.extend(p),
            }
        }
    }
    let confidential = confidentiality_report(&records);
    let mut counts = Counts::default();
    for r in &records {
        match r.kind() {
            Kind::Need => counts.needs += 1,
            Kind::Challenge => counts.challenges += 1,
            Kind::Result => counts.results += 1,
        }
    }
    let public: Vec<_> = records.iter().map(Record::public).collect();
    let total = public.len() as u64;
    let bundle = if public.is_empty() {
        None
    } else {
        match writer::build(&public, &|n| progress(total, n))
            .map_err(|e| e.to_string())
            .and_then(|files| hot::write_bundle(counts, &files).map_err(|e| e.to_string()))
        {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                problems.push(Problem {
                    location: crate::build::validate::Location {
                        file: "-".into(),
                        place: "-".into(),
                    },
                    id: "-".into(),
                    field: "-".into(),
                    reason: format!("indexing failed: {e}"),
                });
                None
            }
        }
    };
    Built {
        bundle,
        problems,
        records: public.len(),
        skipped: read - records.len(),
        confidential,
    }
}

/// Which confidential fields the build dropped or banded, and how often.
pub(super) fn confidentiality_report(records: &[Record]) -> String {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    let mut count = |what, present: bool| {
        if present {
            *n.entry(what).or_default() += 1;
        }
    };
    for r in records {
        count("contact dropped", r.common().contact.is_some());
        match r {
            Record::Need(x) => {
                count("org of anonymous posters dropped", x.anonymous && x.org.is_some());
                count("credit_code dropped", x.credit_code.is_some());
                count("intended_partners dropped", !x.intended_partners.is_empty());
                count(
                    "budget published as a band",
                    x.budget_min.is_some() || x.budget_max.is_some(),
                );
            }
            Record::Result(x) => count("ipr numbers dropped", x.ipr.iter().any(|i| i.number.is_some())),
        }
    }
    if n.is_empty() {
        return "confidential: none present".into();
    }
    let parts: Vec<String> = n.iter().map(|(k, v)| format!("{k} ({v})")).collect();
    format!("confidential: {}", parts.join(", "))
}

/// How long a temporary bundle of another build may go unwritten before it counts as left over
/// from a build that was killed (a build writes its file in one go, in seconds).
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes `.NAME.PID.tmp` files in `dir` that no build has written for [`STALE_TEMP`].
fn remove_stale_temps(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".tmp")) else {
            continue;
        };
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && idle.is_some_and(|d| d > STALE_TEMP) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `target` through a temporary file and a rename, so a reader never sees
/// half a bundle and a failed write leaves the old one in place.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_temps(dir, &name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&tmp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_builds_temporary_bundle_is_removed_by_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let at = |f: &str| dir.path().join(f);
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for f in [
            ".techmatch.bundle.4242.tmp",
            ".techmatch.bundle.77.tmp",
            "notes.tmp",
            ".other.bundle.4242.tmp",
        ] {
            std::fs::write(at(f), b"half a bundle").unwrap();
        }
        for f in [".techmatch.bundle.4242.tmp", "notes.tmp", ".other.bundle.4242.tmp"] {
            std::fs::File::options()
                .write(true)
                .open(at(f))
                .unwrap()
                .set_modified(hour_ago)
                .unwrap();
        }
        write_atomically(&at("techmatch.bundle"), b"bundle").unwrap();
        assert_eq!(std::fs::read(at("techmatch.bundle")).unwrap(), b"bundle");
        assert!(
            !at(".techmatch.bundle.4242.tmp").exists(),
            "left by a killed build an hour ago"
        );
        assert!(
            at(".techmatch.bundle.77.tmp").exists(),
            "another build may be writing it now"
        );
        assert!(
            at("notes.tmp").exists() && at(".other.bundle.4242.tmp").exists(),
            "not techmatch's"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    }
}
