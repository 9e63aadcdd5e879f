//! Database sources (CLI only): a portal's PostgreSQL, MySQL or MariaDB tables read as rows for
//! ingest, as a source file (TOML) names them: the connection, and one query or table per kind.
//!
//! Every value is read as text (PostgreSQL's simple-query protocol, MySQL's text protocol), so a
//! row goes through the mapping, coercion and validation exactly as a CSV row does; NULL is an
//! empty cell. Rows are ordered by their primary key, compared here (numerically when every key
//! is a number), not by the server's collation: the same rows give the same bundle.

use crate::build::ingest::{header_problems, Rows};
use crate::build::mapping::Mapping;
use crate::build::validate::{Location, Problem};
use crate::Error;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A source file as written: where the database is and what to read from it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    url: String,
    password_env: Option<String>,
    #[serde(default)]
    tls: Tls,
    #[serde(rename = "query", default)]
    queries: Vec<QuerySpec>,
}

/// One `[[query]]` of a source file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuerySpec {
    name: String,
    table: Option<String>,
    sql: Option<String>,
    key: String,
    map: Option<PathBuf>,
}

/// TLS to the server: `prefer` (PostgreSQL when the server offers it; MySQL without), `require`,
/// or `disable`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Tls {
    #[default]
    Prefer,
    Require,
    Disable,
}

/// The database a source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    MySql,
}

/// A loaded source file: the connection and its queries, each with its mapping.
#[derive(Debug)]
pub struct DbSource {
    path: PathBuf,
    dialect: Dialect,
    url: String,
    password_env: Option<String>,
    tls: Tls,
    /// Query name, SQL, key column and mapping, in the file's order.
    queries: Vec<Query>,
}

#[derive(Debug)]
struct Query {
    name: String,
    sql: String,
    key: String,
    mapping: Option<Mapping>,
}

/// The rows one query gave, named for messages (`portal.toml[needs]`), with the problems met
/// reading them (a row without its key).
pub struct QueryRows<'a> {
    pub name: String,
    pub rows: Rows,
    pub problems: Vec<Problem>,
    pub mapping: Option<&'a Mapping>,
}

impl DbSource {
    /// Reads and checks a source file; its queries' mappings are read relative to it.
    pub fn load(path: &Path) -> Result<DbSource, Error> {
        let bad = |why: String| Error::Input(format!("{}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let file: SourceFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let dialect = match file.url.split_once("://").map(|(s, _)| s) {
            Some("postgres" | "postgresql") => Dialect::Postgres,
            Some("mysql" | "mariadb") => Dialect::MySql,
            _ => return Err(bad("url: give postgres://… or mysql://…".into())),
        };
        if has_password(&file.url) {
            return Err(bad(
                "url: holds a password; put it in an environment variable and name that variable as password_env"
                    .into(),
            ));
        }
        if file.queries.is_empty() {
            return Err(bad(
                "no [[query]]: name a table or a query for each kind of record".into()
            ));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut queries = Vec::new();
        for q in file.queries {
            let at = |why: &str| bad(format!("[[query]] {}: {why}", q.name));
            if queries.iter().any(|p: &Query| p.name == q.name) {
                return Err(at("another query has this name"));
            }
            let sql = match (q.table, q.sql) {
                (Some(t), None) => format!(
                    "SELECT * FROM {}",
                    quoted(&t, dialect).ok_or_else(|| at("table: not a table name"))?
                ),
                (None, Some(sql)) => sql,
                _ => return Err(at("give either table or sql")),
            };
            let mapping = q.map.map(|m| Mapping::load(&dir.join(m))).transpose()?;
            queries.push(Query {
                name: q.name,
                sql,
                key: q.key,
                mapping,
            });
        }
        Ok(DbSource {
            path: path.to_path_buf(),
            dialect,
            url: file.url,
            password_env: file.password_env,
            tls: file.tls,
            queries,
        })
    }

    /// Connects and runs every query; an unreachable server or a failing query is an error naming
    /// the source (and the query).
    pub fn read(&self) -> Result<Vec<QueryRows<'_>>, Error> {
        let password = match &self.password_env {
            Some(var) => Some(
                std::env::var(var)
                    .map_err(|_| self.error(format!("password_env: the environment variable {var} is not set")))?,
            ),
            None => None,
        };
        let tables = match self.dialect {
            Dialect::Postgres => self.read_postgres(password)?,
            Dialect::MySql => self.read_mysql(password)?,
        };
        Ok(self
            .queries
            .iter()
            .zip(tables)
            .map(|(q, (columns, cells))| self.rows(q, &columns, cells))
            .collect())
    }

    fn error(&self, why: String) -> Error {
        Error::Input(format!("{}: {why}", self.path.display()))
    }

    fn query_error(&self, q: &Query, why: impl std::fmt::Display) -> Error {
        self.error(format!("[[query]] {}: {why}", q.name))
    }

    /// Each query's column names and cells (text; `None` for NULL).
    fn read_postgres(&self, password: Option<String>) -> Result<Vec<Table>, Error> {
        use postgres::SimpleQueryMessage;
        let mut config: postgres::Config = self.url.parse().map_err(|e| self.error(format!("url: {e}")))?;
        if let Some(p) = password {
            config.password(p);
        }
        match self.tls {
            Tls::Prefer => {}
            Tls::Require => {
                config.ssl_mode(postgres::config::SslMode::Require);
            }
            Tls::Disable => {
                config.ssl_mode(postgres::config::SslMode::Disable);
            }
        }
        let tls = native_tls::TlsConnector::new().map_err(|e| self.error(format!("TLS: {e}")))?;
        let mut client = config
            .connect(postgres_native_tls::MakeTlsConnector::new(tls))
            .map_err(|e| self.error(format!("cannot connect to {}: {e}", self.url)))?;
        let mut out = Vec::new();
        for q in &self.queries {
            let messages = client.simple_query(&q.sql).map_err(|e| self.query_error(q, e))?;
            let mut columns = Vec::new();
            let mut cells = Vec::new();
            for m in messages {
                match m {
                    SimpleQueryMessage::RowDescription(cols) => {
                        columns = cols.iter().map(|c| c.name().to_string()).collect();
                    }
                    SimpleQueryMessage::Row(row) => {
                        cells.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
                    }
                    _ => {}
                }
            }
            out.push((columns, cells));
        }
        Ok(out)
    }

    fn read_mysql(&self, password: Option<String>) -> Result<Vec<Table>, Error> {
        use mysql::prelude::Queryable;
        let url = self.url.replacen("mariadb://", "mysql://", 1);
        let opts = mysql::Opts::from_url(&url).map_err(|e| self.error(format!("url: {e}")))?;
        let mut builder = mysql::OptsBuilder::from_opts(opts);
        if let Some(p) = password {
            builder = builder.pass(Some(p));
        }
        if self.tls == Tls::Require {
            builder = builder.ssl_opts(Some(mysql::SslOpts::default()));
        }
        let mut conn =
            mysql::Conn::new(builder).map_err(|e| self.error(format!("cannot connect to {}: {e}", self.url)))?;
        // Text arrives as UTF-8 whatever the table's own character set (gbk, latin1…).
        conn.query_drop("SET NAMES utf8mb4")
            .map_err(|e| self.error(e.to_string()))?;
        let mut out = Vec::new();
        for q in &self.queries {
            let mut result = conn.query_iter(&q.sql).map_err(|e| self.query_error(q, e))?;
            let columns: Vec<String> = result
                .columns()
                .as_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect();
            let mut cells = Vec::new();
            for row in result.by_ref() {
                let row = row.map_err(|e| self.query_error(q, e))?;
                let mut values = Vec::with_capacity(row.len());
                for (i, column) in columns.iter().enumerate() {
                    values.push(match row.as_ref(i) {
                        None | Some(mysql::Value::NULL) => None,
                        Some(mysql::Value::Bytes(b)) => Some(text_of(b).ok_or_else(|| {
                            self.query_error(q, format!("column {column}: neither UTF-8 nor GBK/GB18030 text"))
                        })?),
                        Some(v) => Some(v.as_sql(true).trim_matches('\'').to_string()),
                    });
                }
                cells.push(values);
            }
            out.push((columns, cells));
        }
        Ok(out)
    }

    /// A query's cells as rows named by key, ordered by key.
    fn rows<'a>(&'a self, q: &'a Query, columns: &[String], cells: Vec<Vec<Option<String>>>) -> QueryRows<'a> {
        let name = format!("{}[{}]", self.path.display(), q.name);
        let mut problems = header_problems(&name, columns, "columns");
        let Some(k) = columns.iter().position(|c| *c == q.key) else {
            problems.push(Problem {
                location: Location {
                    file: name.clone(),
                    place: "columns".into(),
                },
                id: "-".into(),
                field: q.key.clone(),
                reason: format!(
                    "key: the query has no column {:?} (columns: {})",
                    q.key,
                    columns.join(", ")
                ),
            });
            return QueryRows {
                name,
                rows: Vec::new(),
                problems,
                mapping: q.mapping.as_ref(),
            };
        };
        let mut keyed: Vec<(String, Map<String, Value>)> = Vec::with_capacity(cells.len());
        for (n, row) in cells.into_iter().enumerate() {
            let Some(key) = row[k].clone().filter(|v| !v.trim().is_empty()) else {
                problems.push(Problem {
                    location: Location {
                        file: name.clone(),
                        place: format!("row {}", n + 1),
                    },
                    id: "-".into(),
                    field: q.key.clone(),
                    reason: "the primary key is empty".into(),
                });
                continue;
            };
            let map = columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.clone(), Value::String(v.unwrap_or_default())))
                .collect();
            keyed.push((key, map));
        }
        let numeric = keyed.iter().all(|(k, _)| k.trim().parse::<i128>().is_ok());
        if numeric {
            keyed.sort_by_cached_key(|(k, _)| k.trim().parse::<i128>().unwrap_or_default());
        } else {
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let rows = keyed
            .into_iter()
            .map(|(key, map)| {
                let location = Location {
                    file: name.clone(),
                    place: format!("{}={key}", q.key),
                };
                (location, map)
            })
            .collect();
        QueryRows {
            name,
            rows,
            problems,
            mapping: q.mapping.as_ref(),
        }
    }
}

/// Column names and rows of cells as a query gave them.
type Table = (Vec<String>, Vec<Vec<Option<String>>>);

/// A text cell's bytes: UTF-8 as the connection asks for, or GBK/GB18030 from a binary column
/// that holds it.
fn text_of(bytes: &[u8]) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.to_string()),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            (!had_errors).then(|| text.into_owned())
        }
    }
}

/// Whether a connection URL carries a password (`scheme://user:password@host`).
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(user_info, _)| user_info.contains(':'))
}

/// A table name quoted for the dialect (`schema.table` allowed), or `None` if it holds a quote.
fn quoted(table: &str, dialect: Dialect) -> Option<String> {
    let q = match dialect {
        Dialect::Postgres => '"',
        Dialect::MySql => '`',
    };
    let parts: Vec<&str> = table.split('.').collect();
    if parts.iter().any(|p| p.is_empty() || p.contains(['"', '`', '\0'])) {
        return None;
    }
    Some(parts.iter().map(|p| format!("{q}{p}{q}")).collect::<Vec<_>>().join("."))
}
