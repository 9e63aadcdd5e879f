//! `techmatch build --source`: the seeds loaded into a portal's tables on real PostgreSQL and
//! MariaDB servers (Chinese column names, a GBK table, NULLs, typed columns, a confidential
//! contact column, a row with a bad TRL) build the seeds bundle byte for byte, bad rows named by
//! primary key, confidential columns out, the password never in a message.

use crate::common;
use crate::servers;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "s3cret-Pa55";

/// A portal's needs table with Chinese column names: schema field → column.
const NEED_COLUMNS: [(&str, &str); 27] = [
    ("id", "需求编号"),
    ("kind", "类型"),
    ("title", "需求名称"),
    ("summary", "需求简介"),
    ("problem", "技术难题"),
    ("key_requirements", "技术指标"),
    ("expected_outcome", "预期目标"),
    ("keywords", "关键词"),
    ("industries", "所属行业"),
    ("fields", "技术领域"),
    ("coop_modes", "合作方式"),
    ("deadline", "截止日期"),
    ("published", "发布日期"),
    ("region", "行政区划代码"),
    ("region_name", "所在地区"),
    ("lang", "语言"),
    ("org", "需求单位"),
    ("credit_code", "统一社会信用代码"),
    ("contact", "联系方式"),
    ("anonymous", "匿名发布"),
    ("trl_min", "最低成熟度"),
    ("trl_max", "最高成熟度"),
    ("budget_min", "预算下限"),
    ("budget_max", "预算上限"),
    ("bounty", "悬赏金额"),
    ("intended_partners", "意向合作方"),
    ("public_alias", "公开名称"),
];

/// The fields the seeds' results use, in order of first use: the results tables' columns.
fn result_fields() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in seeds("results.jsonl") {
        for k in r.keys() {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// A field's column type, as a portal would declare it.
fn sql_type(field: &str, mysql: bool) -> &'static str {
    match field {
        "trl" | "trl_min" | "trl_max" => "INTEGER",
        "budget_min" | "budget_max" | "bounty" => "NUMERIC(12, 2)",
        "deadline" | "published" => "DATE",
        "anonymous" => "BOOLEAN",
        "id" if mysql => "VARCHAR(40)",
        _ => "TEXT",
    }
}

/// A seed record's field as a SQL literal: lists joined by `;`, IPR items as `type:status:number`.
fn literal(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Null) => return "NULL".into(),
        Some(Value::Bool(b)) => return b.to_string(),
        Some(Value::Number(n)) => return n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(o) => ["type", "status", "number"]
                    .iter()
                    .filter_map(|k| o.get(*k).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(":"),
                other => other.as_str().unwrap_or_default().to_string(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        Some(Value::Object(_)) => unreachable!("no seed field is an object"),
    };
    format!("'{}'", text.replace('\'', "''"))
}

fn seeds(name: &str) -> Vec<Map<String, Value>> {
    std::fs::read_to_string(common::root().join("seeds").join(name))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `CREATE TABLE` and `INSERT`s for `records` under `columns` (field → column name).
fn table_sql(
    table: &str,
    columns: &[(&str, &str)],
    records: &[Map<String, Value>],
    mysql: bool,
    charset: &str,
) -> Vec<String> {
    let q = |c: &str| if mysql { format!("`{c}`") } else { format!("\"{c}\"") };
    let defs: Vec<String> = columns
        .iter()
        .map(|(f, c)| {
            format!(
                "{} {}{}",
                q(c),
                sql_type(f, mysql),
                if *f == "id" { " PRIMARY KEY" } else { "" }
            )
        })
        .collect();
    let mut out = vec![format!("CREATE TABLE {} ({}){charset}", q(table), defs.join(", "))];
    for r in records {
        let values: Vec<String> = columns.iter().map(|(f, _)| literal(r.get(*f))).collect();
        let names: Vec<String> = columns.iter().map(|(_, c)| q(c)).collect();
        out.push(format!(
            "INSERT INTO {} ({}) VALUES ({})",
            q(table),
            names.join(", "),
            values.join(", ")
        ));
    }
    out
}

/// A need with a TRL out of range: the row the build must name by its key.
fn bad_need() -> Map<String, Value> {
    let mut r = seeds("needs.jsonl").remove(0);
    r.insert("id".into(), "N-2099-0001".into());
    r.insert("trl_min".into(), 12.into());
    r
}

fn techmatch(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(args)
        .current_dir(dir)
        .env("PORTAL_DB_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The committed seeds bundle (built from `seeds/*.jsonl`; `scripts/test.sh` checks it is current).
fn seeds_bundle() -> Vec<u8> {
    std::fs::read(common::root().join("index/techmatch.bundle")).unwrap()
}

/// Builds from `source` (a file in `dir`): without `--skip-invalid` the bad row stops the build,
/// named by key, nothing written; with it, the bundle is the seeds bundle; the password and the
/// contacts appear nowhere.
fn builds_the_seeds_bundle(dir: &Path, source: &str, bad_row: &str) -> PathBuf {
    let out = dir.join("out");
    let failed = techmatch(&["build", "--source", source, "--out", "out"], dir);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains(bad_row),
        "{bad_row} not in:\n{}",
        stderr(&failed)
    );
    assert!(!out.join("techmatch.bundle").exists());
    let built = techmatch(&["build", "--source", source, "--out", "out", "--skip-invalid"], dir);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(stderr(&built).contains("contact dropped (232)"), "{}", stderr(&built));
    let bytes = std::fs::read(out.join("techmatch.bundle")).unwrap();
    assert!(
        bytes == seeds_bundle(),
        "the bundle from {source} differs from the seeds bundle"
    );
    for o in [&failed, &built] {
        assert!(
            !stderr(o).contains(PASSWORD),
            "the password is in a message:\n{}",
            stderr(o)
        );
    }
    out
}

#[test]
fn postgres_tables_with_chinese_columns_build_the_seeds_bundle() {
    let Some(server) = servers::postgres(PASSWORD) else {
        return;
    };
    let mut admin = servers::postgres_client(server.port, PASSWORD, "postgres").unwrap();
    admin.batch_execute("CREATE DATABASE portal").unwrap();
    let mut db = servers::postgres_client(server.port, PASSWORD, "portal").unwrap();
    let mut needs = seeds("needs.jsonl");
    needs.push(bad_need());
    let fields = result_fields();
    let results: Vec<(&str, &str)> = fields.iter().map(|f| (f.as_str(), f.as_str())).collect();
    for sql in table_sql("技术需求", &NEED_COLUMNS, &needs, false, "")
        .into_iter()
        .chain(table_sql("results", &results, &seeds("results.jsonl"), false, ""))
    {
        db.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let dir = server.dir.path();
    let fields: Vec<String> = NEED_COLUMNS.iter().map(|(f, c)| format!("{f} = \"{c}\"")).collect();
    std::fs::write(dir.join("needs.map.toml"), format!("[fields]\n{}\n", fields.join("\n"))).unwrap();
    let url = format!("postgres://techmatch@127.0.0.1:{}/portal", server.port);
    let source = |queries: &str| format!("url = \"{url}\"\npassword_env = \"PORTAL_DB_PASSWORD\"\n{queries}");
    let needs_query =
        "[[query]]\nname = \"needs\"\ntable = \"技术需求\"\nkey = \"需求编号\"\nmap = \"needs.map.toml\"\n";
    let results_query =
        "[[query]]\nname = \"results\"\nsql = \"SELECT * FROM results WHERE kind = 'result'\"\nkey = \"id\"\n";
    std::fs::write(
        dir.join("portal.toml"),
        source(&format!("{needs_query}{results_query}")),
    )
    .unwrap();
    builds_the_seeds_bundle(
        dir,
        "portal.toml",
        "portal.toml[needs]:需求编号=N-2099-0001: N-2099-0001: trl_min:",
    );

    // Files and a database together: the seeds' needs from the file, results from the table.
    std::fs::write(dir.join("results.toml"), source(results_query)).unwrap();
    let needs_file = common::root().join("seeds/needs.jsonl");
    let mixed = techmatch(
        &[
            "build",
            needs_file.to_str().unwrap(),
            "--source",
            "results.toml",
            "--out",
            "mixed",
        ],
        dir,
    );
    assert!(mixed.status.success(), "{}", stderr(&mixed));
    assert!(std::fs::read(dir.join("mixed/techmatch.bundle")).unwrap() == seeds_bundle());
    // …and the same needs twice: every duplicate named, with where it was first seen.
    let twice = techmatch(
        &[
            "build",
            needs_file.to_str().unwrap(),
            "--source",
            "portal.toml",
            "--out",
            "twice",
        ],
        dir,
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        stderr(&twice)
            .contains("portal.toml[needs]:需求编号=N-2025-0001: N-2025-0001: id: duplicate id, first seen at"),
        "{}",
        stderr(&twice)
    );

    // No password in the environment, a wrong one, an unreachable server: the source is named.
    let unset = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(["build", "--source", "portal.toml", "--out", "x"])
        .current_dir(dir)
        .env_remove("PORTAL_DB_PASSWORD")
        .output()
        .unwrap();
    assert!(
        stderr(&unset).contains("portal.toml: password_env: the environment variable PORTAL_DB_PASSWORD is not set")
    );
    let wrong = Command::new(env!("CARGO_BIN_EXE_techmatch"))
        .args(["build", "--source", "portal.toml", "--out", "x"])
        .current_dir(dir)
        .env("PORTAL_DB_PASSWORD", "not-it")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("portal.toml: cannot connect to postgres://techmatch@127.0.0.1:"),
        "{}",
        stderr(&wrong)
    );
    assert!(!stderr(&wrong).contains("not-it"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.join("down.toml"),
        format!("url = \"postgres://techmatch@127.0.0.1:{closed}/portal\"\n{results_query}"),
    )
    .unwrap();
    let down = techmatch(&["build", "--source", "down.toml", "--out", "x"], dir);
    assert_eq!(down.status.code(), Some(1));
    assert!(
        stderr(&down).contains("down.toml: cannot connect to postgres://techmatch@127.0.0.1:"),
        "{}",
        stderr(&down)
    );
    // TLS required of a server without it; a password written into the URL.
    std::fs::write(
        dir.join("tls.toml"),
        source(&format!("tls = \"require\"\n{results_query}")),
    )
    .unwrap();
    let tls = techmatch(&["build", "--source", "tls.toml", "--out", "x"], dir);
    assert_eq!(tls.status.code(), Some(1), "{}", stderr(&tls));
    assert!(
        stderr(&tls).contains("tls.toml: cannot connect to postgres://"),
        "{}",
        stderr(&tls)
    );
    let inline = format!(
        "url = \"postgres://techmatch:{PASSWORD}@127.0.0.1:{}/portal\"\n{results_query}",
        server.port
    );
    std::fs::write(dir.join("inline.toml"), inline).unwrap();
    let refused = techmatch(&["build", "--source", "inline.toml", "--out", "x"], dir);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("inline.toml: url: holds a password; put it in an environment variable"));
    assert!(!stderr(&refused).contains(PASSWORD));
    // A query the server refuses names the query.
    std::fs::write(
        dir.join("typo.toml"),
        source("[[query]]\nname = \"needs\"\ntable = \"需求\"\nkey = \"id\"\n"),
    )
    .unwrap();
    let typo = techmatch(&["build", "--source", "typo.toml", "--out", "x"], dir);
    assert!(
        stderr(&typo).contains("typo.toml: [[query]] needs: "),
        "{}",
        stderr(&typo)
    );
    assert!(!dir.join("x").join("techmatch.bundle").exists());
}

#[test]
fn mariadb_tables_gbk_and_utf8mb4_build_the_seeds_bundle() {
    let Some(server) = servers::mariadb(PASSWORD) else {
        return;
    };
    use mysql::prelude::Queryable;
    let mut db = servers::mysql_conn(server.port, "techmatch", PASSWORD, Some("portal")).unwrap();
    db.query_drop("SET NAMES utf8mb4, sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES'")
        .unwrap();
    let needs: Vec<(&str, &str)> = NEED_COLUMNS.iter().map(|(f, _)| (*f, *f)).collect();
    let fields = result_fields();
    let results: Vec<(&str, &str)> = fields.iter().map(|f| (f.as_str(), f.as_str())).collect();
    // Results whose text GBK can hold live in a GBK table, as older portals keep them; the rest
    // (µ, subscripts) in a utf8mb4 one.
    let (gbk, utf8): (Vec<_>, Vec<_>) = seeds("results.jsonl").into_iter().partition(|r| {
        let text = serde_json::to_string(r).unwrap();
        !encoding_rs::GBK.encode(&text).2
    });
    assert!(
        gbk.len() > 100 && !utf8.is_empty(),
        "{} GBK, {} other",
        gbk.len(),
        utf8.len()
    );
    let mut bad = seeds("results.jsonl").remove(0);
    bad.insert("id".into(), "R-2099-0001".into());
    bad.insert("trl".into(), 0.into());
    let sql = table_sql("needs", &needs, &seeds("needs.jsonl"), true, " CHARACTER SET utf8mb4")
        .into_iter()
        .chain(table_sql("results_gbk", &results, &gbk, true, " CHARACTER SET gbk"))
        .chain(table_sql(
            "results_utf8",
            &results,
            &[utf8, vec![bad]].concat(),
            true,
            " CHARACTER SET utf8mb4",
        ));
    for s in sql {
        db.query_drop(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let charset: String = db
        .query_first("SELECT CCSA.character_set_name FROM information_schema.TABLES T JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.collation_name = T.table_collation WHERE T.table_name = 'results_gbk'")
        .unwrap()
        .unwrap();
    assert_eq!(charset, "gbk");
    let dir = server.dir.path();
    std::fs::write(
        dir.join("portal.toml"),
        format!(
            "url = \"mysql://techmatch@127.0.0.1:{}/portal\"\npassword_env = \"PORTAL_DB_PASSWORD\"\n\
             [[query]]\nname = \"needs\"\ntable = \"needs\"\nkey = \"id\"\n\
             [[query]]\nname = \"results\"\nsql = \"SELECT * FROM results_gbk UNION ALL SELECT * FROM results_utf8\"\nkey = \"id\"\n",
            server.port
        ),
    )
    .unwrap();
    builds_the_seeds_bundle(
        dir,
        "portal.toml",
        "portal.toml[results]:id=R-2099-0001: R-2099-0001: trl:",
    );
}
