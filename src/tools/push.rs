//! Push: every need's (or result's) best matches, one row per pair with score and reasons in
//! words, as a broker sends them on to enterprises and research teams (XLSX or CSV with BOM).

use std::path::Path;

use crate::build::pipeline::write_atomically;
use crate::engine::{Engine, MatchRequest, Reason, SearchRequest, MAX_PAGE_SIZE};
use crate::Error;

/// Which records the list is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// Needs and challenges, each with the results that could solve it.
    Needs,
    /// Results, each with the enterprises' needs it could serve.
    Results,
}

/// Language of the headers and of the reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

/// What to push (the options of `techmatch push`).
#[derive(Clone, Debug, clap::Args)]
pub struct PushOptions {
    /// needs: each need and challenge with its results; results: each result with its needs.
    #[arg(long, value_enum, default_value_t = Side::Needs)]
    pub side: Side,
    /// Only needs whose deadline has not passed: the needs listed, or on the results side the
    /// needs matched.
    #[arg(long)]
    pub open: bool,
    /// Best matches per record.
    #[arg(long, default_value_t = 5, value_parser = crate::tools::args::limit)]
    pub top: usize,
    /// Leave out pairs scoring below this (0–100; the default leaves out the weakest).
    #[arg(long, default_value_t = 10.0)]
    pub min_score: f32,
    /// Today's date, for open/expired (YYYY-MM-DD; default: the clock).
    #[arg(long)]
    pub today: Option<String>,
    /// Language of the headers and reasons.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
}

/// One side of a pair as the list names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Party {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub owner: String,
}

/// One pair: a record, one of its best matches, the match's rank, score and reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct PushRow {
    pub source: Party,
    pub rank: usize,
    pub target: Party,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// A push list: how many records it was made for, and their pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct PushList {
    pub records: usize,
    pub rows: Vec<PushRow>,
}

/// The ids of the records the list is for, sorted, so that the list comes out in the same order
/// whatever the bundle's segments.
pub fn sources(engine: &Engine, opts: &PushOptions) -> Result<Vec<String>, Error> {
    let kind = match opts.side {
        Side::Needs => "needs",
        Side::Results => "result",
    };
    let mut req = SearchRequest {
        kind: Some(kind.into()),
        open: opts.open && opts.side == Side::Needs,
        size: MAX_PAGE_SIZE,
        today: opts.today.clone(),
        ..SearchRequest::default()
    };
    let mut ids = Vec::new();
    loop {
        let res = engine.search(&req)?;
        ids.extend(res.hits.into_iter().map(|h| h.id));
        if res.total <= ids.len() || ids.len() < req.page * req.size {
            break;
        }
        req.page += 1;
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The rows of record `id`: its best `top` matches scoring at least `min_score`.
pub fn rows_for(engine: &Engine, id: &str, opts: &PushOptions) -> Result<Vec<PushRow>, Error> {
    let party = |id: &str| -> Result<Party, Error> {
        let r = engine.get(id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
        Ok(Party {
            id: r.id,
            kind: r.kind,
            title: r.title,
            owner: r.owner.unwrap_or_default(),
        })
    };
    let source = party(id)?;
    // A result's open counterparts: needs whose deadline has not passed (an `open` reason), as
    // "open only" means in search; asked for more, so that the top ones are open ones.
    let open_needs = opts.open && opts.side == Side::Results;
    let size = if open_needs {
        (opts.top * 4).min(MAX_PAGE_SIZE)
    } else {
        opts.top
    };
    let res = engine.match_records(&MatchRequest {
        id: Some(id.to_string()),
        size,
        today: opts.today.clone(),
        ..MatchRequest::default()
    })?;
    let mut out = Vec::new();
    let kept = res
        .hits
        .into_iter()
        .filter(|h| h.score >= opts.min_score)
        .filter(|h| !open_needs || h.reasons.iter().any(|r| r.kind == "open"))
        .take(opts.top);
    for hit in kept {
        out.push(PushRow {
            source: source.clone(),
            rank: out.len() + 1,
            target: party(&hit.id)?,
            score: hit.score,
            reasons: hit.reasons,
        });
    }
    Ok(out)
}

/// The whole list: every record of the side (sorted by id) with its best matches, on every core.
/// `progress(total, done)` hears of the records as they are matched.
pub fn push(engine: &Engine, opts: &PushOptions, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<PushList, Error> {
    if !(1..=MAX_PAGE_SIZE).contains(&opts.top) {
        return Err(Error::Request(format!(
            "top: must be 1 to {MAX_PAGE_SIZE}, found {}",
            opts.top
        )));
    }
    if !(0.0..=100.0).contains(&opts.min_score) {
        return Err(Error::Request(format!(
            "min-score: must be 0 to 100, found {}",
            opts.min_score
        )));
    }
    let ids = sources(engine, opts)?;
    let total = ids.len() as u64;
    progress(total, 0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = ids.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<PushRow>, Error>> = std::thread::scope(|s| {
        let workers: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut rows = Vec::new();
                    for id in part {
                        rows.extend(rows_for(engine, id, opts)?);
                        progress(total, 1);
                    }
                    Ok(rows)
                })
            })
            .collect();
        let joined = workers.into_iter().map(|w| w.join());
        joined
            .map(|r| r.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut rows = Vec::new();
    for part in parts {
        rows.extend(part?);
    }
    Ok(PushList {
        records: ids.len(),
        rows,
    })
}

/// The column headers of a list for `side`.
pub fn headers(side: Side, lang: Lang) -> [&'static str; 10] {
    match (side, lang) {
        (Side::Needs, Lang::Zh) => [
            "需求编号",
            "类型",
            "需求名称",
            "发布方",
            "排名",
            "成果编号",
            "成果名称",
            "持有方",
            "匹配度",
            "匹配理由",
        ],
        (Side::Results, Lang::Zh) => [
            "成果编号",
            "类型",
            "成果名称",
            "持有方",
            "排名",
            "需求编号",
            "需求名称",
            "发布方",
            "匹配度",
            "匹配理由",
        ],
        (Side::Needs, Lang::En) => [
            "Need",
            "Kind",
            "Need title",
            "Enterprise",
            "Rank",
            "Result",
            "Result title",
            "Holder",
            "Score",
            "Reasons",
        ],
        (Side::Results, Lang::En) => [
            "Result",
            "Kind",
            "Result title",
            "Holder",
            "Rank",
            "Need",
            "Need title",
            "Enterprise",
            "Score",
            "Reasons",
        ],
    }
}

/// A record kind as the list names it.
fn kind_name(kind: &str, lang: Lang) -> &str {
    match (kind, lang) {
        ("need", Lang::Zh) => "需求",
        ("challenge", Lang::Zh) => "揭榜",
        ("result", Lang::Zh) => "成果",
        _ => kind,
    }
}

/// A reason's name in words.
fn reason_name(kind: &str, lang: Lang) -> &str {
    match (kind, lang) {
        ("terms", Lang::Zh) => "文本相近",
        ("industry", Lang::Zh) => "同属产业",
        ("field", Lang::Zh) => "同一技术领域",
        ("trl_fit", Lang::Zh) => "成熟度相符",
        ("trl_miss", Lang::Zh) => "成熟度不符",
        ("mode_fit", Lang::Zh) => "合作方式相容",
        ("mode_conflict", Lang::Zh) => "合作方式冲突",
        ("open", Lang::Zh) => "需求征集中",
        ("expired", Lang::Zh) => "需求已截止",
        ("region", Lang::Zh) => "同一地区",
        ("terms", Lang::En) => "similar text",
        ("industry", Lang::En) => "same industry",
        ("field", Lang::En) => "same field",
        ("trl_fit", Lang::En) => "maturity fits",
        ("trl_miss", Lang::En) => "maturity misses",
        ("mode_fit", Lang::En) => "modes fit",
        ("mode_conflict", Lang::En) => "modes conflict",
        ("open", Lang::En) => "need open",
        ("expired", Lang::En) => "need expired",
        ("region", Lang::En) => "same region",
        (other, _) => other,
    }
}

/// A pair's reasons in words: each reason's name, its points and its evidence, strongest first.
pub fn reasons_text(reasons: &[Reason], lang: Lang) -> String {
    let (colon, join, list) = match lang {
        Lang::Zh => ("：", "；", "、"),
        Lang::En => (": ", "; ", ", "),
    };
    let mut sorted: Vec<&Reason> = reasons.iter().filter(|r| r.contribution != 0.0).collect();
    sorted.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    sorted
        .iter()
        .map(|r| {
            let detail = r.detail.split(", ").collect::<Vec<_>>().join(list);
            let points = format!("{:+.1}", r.contribution);
            if detail.is_empty() {
                format!("{} {points}", reason_name(&r.kind, lang))
            } else {
                format!("{} {points}{colon}{detail}", reason_name(&r.kind, lang))
            }
        })
        .collect::<Vec<_>>()
        .join(join)
}

/// The cells of one row, in the order of [`headers`] (the score apart, as a number).
fn cells(row: &PushRow, lang: Lang) -> [String; 9] {
    [
        row.source.id.clone(),
        kind_name(&row.source.kind, lang).to_string(),
        row.source.title.clone(),
        row.source.owner.clone(),
        row.rank.to_string(),
        row.target.id.clone(),
        row.target.title.clone(),
        row.target.owner.clone(),
        reasons_text(&row.reasons, lang),
    ]
}

/// A CSV cell a spreadsheet will not run: text starting with `= + - @`, tab or CR gets a `'`.
fn inert(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// The list as CSV: UTF-8 with BOM (Excel opens it in Chinese), CRLF lines, formulas neutralised.
pub fn to_csv(rows: &[PushRow], side: Side, lang: Lang) -> Result<Vec<u8>, Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let io = |e: csv::Error| Error::Input(format!("cannot write CSV: {e}"));
    w.write_record(headers(side, lang)).map_err(io)?;
    for row in rows {
        let [a, b, c, d, rank, e, f, g, reasons] = cells(row, lang).map(inert);
        let score = format!("{:.1}", row.score);
        w.write_record([a, b, c, d, rank, e, f, g, score, reasons])
            .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Input(format!("cannot write CSV: {e}")))
}

/// The list as an XLSX workbook: one sheet, bold frozen header, filters, widths, scores as numbers.
pub fn to_xlsx(rows: &[PushRow], side: Side, lang: Lang) -> Result<Vec<u8>, Error> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let x = |e: XlsxError| Error::Input(format!("cannot write XLSX: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(match lang {
        Lang::Zh => "推送清单",
        Lang::En => "Push list",
    })
    .map_err(x)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let score = Format::new().set_num_format("0.0");
    for (col, h) in headers(side, lang).iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &bold).map_err(x)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let [a, b, c, d, _, e, f, g, reasons] = cells(row, lang);
        for (col, v) in [a, b, c, d].iter().enumerate() {
            ws.write_string(r, col as u16, v).map_err(x)?;
        }
        ws.write_number(r, 4, row.rank as f64).map_err(x)?;
        for (col, v) in [e, f, g].iter().enumerate() {
            ws.write_string(r, 5 + col as u16, v).map_err(x)?;
        }
        ws.write_number_with_format(r, 8, f64::from(row.score), &score)
            .map_err(x)?;
        ws.write_string_with_format(r, 9, &reasons, &wrap).map_err(x)?;
    }
    for (col, width) in [14.0, 6.0, 36.0, 20.0, 6.0, 14.0, 36.0, 20.0, 8.0, 60.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *width).map_err(x)?;
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    ws.autofilter(0, 0, rows.len() as u32, 9).map_err(x)?;
    wb.save_to_buffer().map_err(x)
}

/// The file a list is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// The format `out`'s extension names (`.xlsx`, `.csv`), or an error naming the file.
    pub fn of(out: &Path) -> Result<Format, Error> {
        match out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xlsx") => Ok(Format::Xlsx),
            Some("csv") => Ok(Format::Csv),
            _ => Err(Error::Request(format!(
                "--out {}: must end in .xlsx or .csv",
                out.display()
            ))),
        }
    }
}

/// Writes `rows` to `out` as XLSX or CSV, atomically (a reader never sees half a file).
pub fn write(out: &Path, format: Format, rows: &[PushRow], side: Side, lang: Lang) -> Result<(), Error> {
    let bytes = match format {
        Format::Xlsx => to_xlsx(rows, side, lang)?,
        Format::Csv => to_csv(rows, side, lang)?,
    };
    write_atomically(out, &bytes).map_err(|e| Error::Input(format!("{}: cannot write: {e}", out.display())))
}
