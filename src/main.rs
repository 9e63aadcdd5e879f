//! The `techmatch` command: build bundles, search and match from the terminal, evaluate, serve.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use tantivy::directory::OwnedBytes;
use techmatch::build::database::DbSource;
use techmatch::build::ingest;
use techmatch::build::mapping::Mapping;
use techmatch::build::pipeline;
use techmatch::bundle::{self, Bundle};
use techmatch::engine::{Engine, SearchRequest, Sort, TrlRange};
use techmatch::engine::{MatchRequest, MatchTags};
use techmatch::tools::args::{Answer, Cli, Command, Mode, SortArg, Variant};
use techmatch::tools::push;
use techmatch::tools::{eval, serve};

/// A failure with its exit code: 2 for bad input, 1 for everything else.
struct Failure(u8, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(1, e.to_string())
    }
}

fn main() -> ExitCode {
    // A reader that stops early (`techmatch search … | head`) closes the pipe: end quietly, as
    // Unix tools do, rather than panic on the next line printed.
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let bundle = match &cli.command {
        Command::Search { bundle, .. }
        | Command::Match { bundle, .. }
        | Command::Inspect { bundle, .. }
        | Command::Eval { bundle, .. }
        | Command::Push { bundle, .. } => Some(bundle.clone()),
        Command::Build { .. } | Command::Serve { .. } => None,
    };
    // tantivy trusts the files it reads: a bundle forged behind valid checksums can make it panic.
    // That is exit code 1 with the bundle named, as for any other unusable bundle.
    let outcome = std::panic::catch_unwind(|| run(cli.command)).unwrap_or_else(|_| {
        Err(Failure(1, match bundle {
            Some(b) => format!("{}: the index inside the bundle failed while being read (see above): damaged behind valid checksums (forged?) or a techmatch bug; rebuild the bundle", b.display()),
            None => "internal error (see the message above)".into(),
        }))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("techmatch: {msg}");
            ExitCode::from(code)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Build {
            inputs,
            sources,
            out,
            maps,
            skip_invalid,
        } => build(&inputs, &sources, &out, &maps, skip_invalid),
        Command::Search {
            bundle,
            query,
            kind,
            filters,
            trl,
            open,
            sort,
            page,
            out: Answer { limit, today, json },
        } => {
            let engine = open_bundle(&bundle)?;
            let mut req = SearchRequest {
                q: query,
                kind,
                open,
                page,
                size: limit,
                today,
                ..SearchRequest::default()
            };
            req.sort = match sort {
                SortArg::Relevance => Sort::Relevance,
                SortArg::Date => Sort::Date,
                SortArg::Deadline => Sort::Deadline,
            };
            for f in filters {
                let (k, v) = f
                    .split_once('=')
                    .ok_or_else(|| Failure(2, format!("--filter {f:?}: expected FIELD=VALUE")))?;
                req.filters
                    .entry(k.trim().to_string())
                    .or_default()
                    .push(v.trim().to_string());
            }
            if let Some(t) = trl {
                req.trl =
                    Some(parse_trl(&t).ok_or_else(|| Failure(2, format!("--trl {t:?}: expected MIN-MAX, e.g. 4-7")))?);
            }
            let res = engine.search(&req).map_err(|e| Failure(2, e.to_string()))?;
            if json {
                println!("{}", serde_json::to_string(&res)?);
            } else {
                println!("{} records", res.total);
                for (i, h) in res.hits.iter().enumerate() {
                    println!(
                        "{:>3}. [{}] {} {}  ({:.2})\n     {}",
                        offset(page, limit) + i + 1,
                        h.kind,
                        h.id,
                        h.title,
                        h.score,
                        h.snippet.replace('\n', " ")
                    );
                }
                for (field, counts) in &res.facets {
                    if !counts.is_empty() {
                        let list: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
                        println!("{field}: {}", list.join(" · "));
                    }
                }
            }
            Ok(())
        }
        Command::Match {
            bundle,
            id,
            text,
            side,
            out: Answer { limit, today, json },
        } => {
            let engine = open_bundle(&bundle)?;
            let req = MatchRequest {
                id,
                text,
                tags: MatchTags {
                    side,
                    ..MatchTags::default()
                },
                size: limit,
                today,
            };
            let res = engine.match_records(&req).map_err(|e| Failure(2, e.to_string()))?;
            if json {
                println!("{}", serde_json::to_string(&res)?);
            } else {
                for (i, h) in res.hits.iter().enumerate() {
                    println!("{:>3}. [{}] {} {}  score {:.1}", i + 1, h.kind, h.id, h.title, h.score);
                    for r in &h.reasons {
                        println!("       {:+6.1}  {:<13} {}", r.contribution, r.kind, r.detail);
                    }
                }
            }
            Ok(())
        }
        Command::Inspect { bundle, json } => {
            let engine = open_bundle(&bundle)?;
            let stats = engine.stats()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                let c = &stats.counts;
                println!(
                    "format version {}, tokenizer {}, {} bytes",
                    stats.format_version, stats.tokenizer, stats.bundle_bytes
                );
                println!(
                    "{} records: {} needs, {} challenges, {} results",
                    stats.records, c.needs, c.challenges, c.results
                );
                for f in &stats.files {
                    println!("  {:<44} {:>10} bytes at {}", f.name, f.len, f.offset);
                }
                for (field, counts) in &stats.facets {
                    println!("{field}: {} values", counts.len());
                }
            }
            Ok(())
        }
        Command::Eval {
            bundle,
            queries,
            mode,
            qrels,
            run,
            limit,
            variant,
            verbatim_boost,
            min_match,
            today,
        } => {
            let mut engine = open_bundle(&bundle)?;
            engine.options.unigrams = variant == Variant::UniBi;
            if let Some(b) = verbatim_boost {
                engine.options.verbatim_boost = b;
            }
            if let Some(m) = min_match {
                engine.options.min_match = m;
            }
            evaluate(&engine, &queries, mode, qrels.as_deref(), run.as_deref(), limit, today)
        }
        Command::Push { bundle, opts, out } => {
            let format = push::Format::of(&out).map_err(|e| Failure(2, e.to_string()))?;
            let engine = open_bundle(&bundle)?;
            let started = Instant::now();
            let bar = indicatif::ProgressBar::hidden();
            let list = push::push(&engine, &opts, &|total, done| {
                if done == 0 && total > 200 && std::io::stderr().is_terminal() {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.set_length(total);
                }
                bar.inc(done);
            })
            .map_err(|e| Failure(2, e.to_string()))?;
            bar.finish_and_clear();
            push::write(&out, format, &list.rows, opts.side, opts.lang)?;
            eprintln!(
                "{} pairs for {} records written to {} in {:.1} s",
                list.rows.len(),
                list.records,
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Serve { dir, port, host } => serve::serve(&dir, &host, port).map_err(Failure::from),
    }
}

fn offset(page: usize, limit: usize) -> usize {
    page.saturating_sub(1) * limit
}

fn parse_trl(s: &str) -> Option<TrlRange> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let p = |x: &str| {
        if x.trim().is_empty() {
            Ok(None)
        } else {
            x.trim().parse::<u8>().map(Some)
        }
    };
    Some(TrlRange {
        min: p(a).ok()?,
        max: p(b).ok()?,
    })
}

/// The mapping of each input from the `--map` arguments: `INPUT=MAP` (INPUT as given among the
/// inputs) for one input, a bare `MAP` for all the others; each file is loaded once.
fn load_mappings(inputs: &[PathBuf], maps: &[String]) -> Result<Vec<Option<Mapping>>, Failure> {
    let mut all: Option<&str> = None;
    let mut own: HashMap<&Path, &str> = HashMap::new();
    for arg in maps {
        let target = arg
            .split_once('=')
            .filter(|(input, _)| inputs.iter().any(|i| i.as_path() == Path::new(input)));
        let (to, duplicate) = match target {
            Some((input, map)) => (input, own.insert(Path::new(input), map).is_some()),
            None if Path::new(arg).exists() || !arg.contains('=') => ("every input", all.replace(arg).is_some()),
            None => {
                return Err(Failure(
                    2,
                    format!(
                        "--map {arg}: {} is not one of the inputs",
                        arg.split_once('=').map_or(arg.as_str(), |x| x.0)
                    ),
                ))
            }
        };
        if duplicate {
            return Err(Failure(2, format!("--map {arg}: a mapping for {to} was already given")));
        }
    }
    let mut loaded: HashMap<&str, Mapping> = HashMap::new();
    for file in own.values().copied().chain(all) {
        if !loaded.contains_key(file) {
            loaded.insert(
                file,
                Mapping::load(Path::new(file)).map_err(|e| Failure(2, e.to_string()))?,
            );
        }
    }
    Ok(inputs
        .iter()
        .map(|i| own.get(i.as_path()).copied().or(all).map(|f| loaded[f].clone()))
        .collect())
}

fn open_bundle(path: &Path) -> Result<Engine, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(1, format!("{}: {e}", path.display())))?;
    let bundle = Bundle::parse(OwnedBytes::new(bytes)).map_err(|e| Failure(1, format!("{}: {e}", path.display())))?;
    Engine::open(bundle).map_err(|e| Failure(1, format!("{}: {e}", path.display())))
}

fn build(
    inputs: &[PathBuf],
    databases: &[PathBuf],
    out: &Path,
    maps: &[String],
    skip_invalid: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let mappings = load_mappings(inputs, maps)?;
    // A folder stands for the input files inside it, each with the folder's mapping.
    let mut sources: Vec<pipeline::Source> = Vec::new();
    for (path, m) in inputs.iter().zip(&mappings) {
        let files = if path.is_dir() {
            let files = ingest::files_in(path).map_err(|e| Failure(2, format!("{}: {e}", path.display())))?;
            if files.is_empty() {
                return Err(Failure(
                    2,
                    format!("{}: no .json, .jsonl, .csv, .tsv or .xlsx file inside", path.display()),
                ));
            }
            files
        } else {
            vec![path.clone()]
        };
        sources.extend(files.into_iter().map(|path| pipeline::Source {
            origin: pipeline::Origin::File(path),
            mapping: m.as_ref(),
        }));
    }
    // Database sources: connected to and read before anything is indexed; an unreachable server
    // or a failing query stops the build (exit 1) with nothing written.
    let databases: Vec<DbSource> = databases
        .iter()
        .map(|p| DbSource::load(p).map_err(|e| Failure(2, e.to_string())))
        .collect::<Result<_, _>>()?;
    for db in &databases {
        for q in db.read()? {
            sources.push(pipeline::Source {
                origin: pipeline::Origin::Rows {
                    name: q.name,
                    rows: q.rows,
                    problems: q.problems,
                },
                mapping: q.mapping,
            });
        }
    }
    let bar = indicatif::ProgressBar::hidden();
    let built = pipeline::build_sources(sources, &|total, done| {
        if total > 2000 && std::io::stderr().is_terminal() && bar.is_hidden() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(total);
        }
        bar.inc(done);
    });
    bar.finish_and_clear();
    for p in &built.problems {
        eprintln!("{p}");
    }
    if !built.problems.is_empty() && !skip_invalid {
        return Err(Failure(
            2,
            format!(
                "{} problems in the input; nothing was written (use --skip-invalid to build from the valid records)",
                built.problems.len()
            ),
        ));
    }
    let Some(bytes) = built.bundle else {
        return Err(Failure(2, "no valid records; nothing was written".into()));
    };
    if !built.problems.is_empty() {
        eprintln!(
            "skipped {} invalid records ({} problems)",
            built.skipped,
            built.problems.len()
        );
    }
    eprintln!("{}", built.confidential);
    let target = out.join(bundle::FILE_NAME);
    pipeline::write_atomically(&target, &bytes).map_err(|e| Failure(1, format!("{}: {e}", target.display())))?;
    eprintln!(
        "wrote {} ({} records, {} bytes) in {:.1}s",
        target.display(),
        built.records,
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn evaluate(
    engine: &Engine,
    queries: &Path,
    mode: Mode,
    qrels: Option<&Path>,
    run: Option<&Path>,
    limit: usize,
    today: Option<String>,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(queries).map_err(|e| format!("{}: {e}", queries.display()))?;
    let mut runs: HashMap<String, Vec<String>> = HashMap::new();
    let mut trec = String::new();
    let mut latencies = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (qid, q) = line
            .split_once('\t')
            .ok_or_else(|| Failure(2, format!("{}:{}: expected qid<TAB>text", queries.display(), i + 1)))?;
        let t = Instant::now();
        let ranked: Vec<(String, f32)> = match mode {
            Mode::Search => engine.rank(q, limit)?,
            Mode::Match | Mode::MatchId => {
                let mut req = MatchRequest {
                    size: limit,
                    today: today.clone(),
                    ..MatchRequest::default()
                };
                if mode == Mode::Match {
                    req.text = Some(q.to_string());
                } else {
                    req.id = Some(q.trim().to_string());
                }
                engine
                    .match_records(&req)?
                    .hits
                    .into_iter()
                    .map(|h| (h.id, h.score))
                    .collect()
            }
        };
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        for (rank, (id, score)) in ranked.iter().enumerate() {
            trec.push_str(&format!("{qid} Q0 {id} {} {score} techmatch\n", rank + 1));
        }
        runs.insert(qid.to_string(), ranked.into_iter().map(|r| r.0).collect());
    }
    if let Some(path) = run {
        std::fs::write(path, &trec).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "queries {}  latency p50 {:.2} ms  p95 {:.2} ms",
        latencies.len(),
        pct(0.5),
        pct(0.95)
    );
    if let Some(path) = qrels {
        let q = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let qrels = eval::parse_qrels(&q).map_err(|e| Failure(2, format!("{}: {e}", path.display())))?;
        let m = eval::evaluate(&runs, &qrels);
        println!(
            "nDCG@10 {:.4}  MRR@10 {:.4}  Recall@100 {:.4}  ({} judged queries)",
            m.ndcg10, m.mrr10, m.recall100, m.queries
        );
    }
    Ok(())
}
