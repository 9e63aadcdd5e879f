//! Args: the `techmatch` command line (subcommands, flags, help texts), parsed by clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::tools::push::PushOptions;

#[derive(Parser)]
#[command(name = "techmatch", version, about = "Match enterprise technology needs with research results.", after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

pub const EXAMPLES: &str = "Examples:
  techmatch build seeds/needs.jsonl seeds/results.jsonl --out index
  techmatch build ../shared/data/csl/eval_corpus.jsonl --map seeds/maps/csl.toml --out /tmp/csl
  techmatch build papers.jsonl seeds/results.jsonl --map papers.jsonl=seeds/maps/csl.toml --out /tmp/mixed
  techmatch search index/techmatch.bundle '盐碱地 改良' --kind result --filter industries=现代农业 --trl 4-9
  techmatch match index/techmatch.bundle --id N-2026-0001 --json
  techmatch push index/techmatch.bundle --open --top 5 --min-score 40 --out push.xlsx
  techmatch eval /tmp/csl/techmatch.bundle --queries ../shared/data/csl/queries_keyword.tsv --qrels ../shared/data/csl/qrels_keyword.tsv
  techmatch serve www --port 8080";

#[derive(Subcommand)]
pub enum Command {
    /// Validate input files and write DIR/techmatch.bundle.
    Build {
        /// JSON, JSONL, CSV/TSV (UTF-8, UTF-16 or GBK) or XLSX files, or folders of them (the files
        /// inside, sorted by name; `--map FOLDER=MAP` maps them all).
        #[arg(required_unless_present = "sources")]
        inputs: Vec<PathBuf>,
        /// A database source file (TOML): a PostgreSQL or MySQL/MariaDB connection and one table
        /// or query per kind of record (see the README); repeat for more, mix with files.
        #[arg(long = "source", value_name = "SOURCE.toml")]
        sources: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// TOML field mapping: `MAP` for every input, or `INPUT=MAP` for one of them (repeat
        /// for more); inputs without a mapping of their own take the `MAP` given for all.
        #[arg(long = "map", value_name = "[INPUT=]MAP")]
        maps: Vec<String>,
        /// Build from the valid records and only list the invalid ones.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Full-text search with filters.
    Search {
        bundle: PathBuf,
        /// Words to find; `-word` leaves out records holding it (first too: `search B '-旧 盐碱地'`).
        #[arg(default_value = "", allow_hyphen_values = true)]
        query: String,
        /// need, challenge, needs (both) or result.
        #[arg(long)]
        kind: Option<String>,
        /// FIELD=VALUE; repeat for more (AND across fields, OR within one).
        #[arg(long = "filter")]
        filters: Vec<String>,
        /// TRL range, e.g. 4-7.
        #[arg(long)]
        trl: Option<String>,
        /// Only records whose deadline has not passed.
        #[arg(long)]
        open: bool,
        #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
        sort: SortArg,
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[command(flatten)]
        out: Answer,
    },
    /// Rank results for a need, or needs for a result, with reasons.
    Match {
        bundle: PathBuf,
        #[arg(long, conflicts_with = "text", required_unless_present = "text")]
        id: Option<String>,
        /// A need's text (use --side result for a result's text).
        #[arg(long)]
        text: Option<String>,
        #[arg(long, requires = "text")]
        side: Option<String>,
        #[command(flatten)]
        out: Answer,
    },
    /// Header, counts, facet vocabularies and file table of a bundle.
    Inspect {
        bundle: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run queries, write a TREC run and score it against qrels.
    Eval {
        bundle: PathBuf,
        /// Lines of `qid<TAB>text`.
        #[arg(long)]
        queries: PathBuf,
        #[arg(long, value_enum, default_value_t = Mode::Search)]
        mode: Mode,
        /// TREC qrels (`qid 0 docid grade`).
        #[arg(long)]
        qrels: Option<PathBuf>,
        /// Where to write the TREC run file.
        #[arg(long)]
        run: Option<PathBuf>,
        #[arg(long, default_value_t = 100, value_parser = limit)]
        limit: usize,
        /// Query variant to compare: score CJK unigrams too (default) or bigrams only.
        #[arg(long, value_enum, default_value_t = Variant::UniBi)]
        variant: Variant,
        /// Weight of the verbatim-phrase boost (0 turns it off).
        #[arg(long)]
        verbatim_boost: Option<f32>,
        /// Share of each query word's terms a record must hold (0: any one).
        #[arg(long)]
        min_match: Option<f32>,
        /// Today's date for matches' open/expired evidence (YYYY-MM-DD; default: the clock), so
        /// that a match evaluation gives the same figures on any day.
        #[arg(long)]
        today: Option<String>,
    },
    /// Every need's (or result's) best matches, one row per pair with score and reasons, as a
    /// broker sends them on: XLSX or CSV (UTF-8 with BOM) by the extension of --out.
    Push {
        bundle: PathBuf,
        #[command(flatten)]
        opts: PushOptions,
        /// FILE.xlsx or FILE.csv.
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve a directory on 127.0.0.1 with HTTP Range support (for the demo and tests).
    Serve {
        dir: PathBuf,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
}

/// How many answers, as of which day, in which form.
#[derive(clap::Args)]
pub struct Answer {
    /// Hits per page, 1 to 1000.
    #[arg(long, default_value_t = 10, value_parser = limit)]
    pub limit: usize,
    /// Today's date, for open/expired (YYYY-MM-DD; default: the clock).
    #[arg(long)]
    pub today: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortArg {
    Relevance,
    Date,
    Deadline,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Mode {
    /// Each query is search text.
    Search,
    /// Each query is a need's text (no tags).
    Match,
    /// Each query is the id of a record in the bundle: match with its text and tags.
    MatchId,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Variant {
    UniBi,
    Bi,
}

/// `--limit`: a page size the engine answers (1 to [`crate::engine::MAX_PAGE_SIZE`]).
pub(crate) fn limit(s: &str) -> Result<usize, String> {
    let max = crate::engine::MAX_PAGE_SIZE;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {max}")),
    }
}
