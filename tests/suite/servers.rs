//! Real database servers for the database-source tests: PostgreSQL and MariaDB from Debian's
//! packages, each started in its own temporary data directory on a free 127.0.0.1 port and
//! stopped (data removed) when the test drops it.
//!
//! Not installed: the test says so and passes, unless `TECHMATCH_REQUIRE_DATABASES` is set
//! (`scripts/test.sh` sets it after installing them), when a missing server fails the test.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; stopped and its data directory removed on drop.
pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGINT: both servers' fast shutdown (PostgreSQL's backends go with the postmaster).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `None` (after saying why) when the server is not installed and not required.
fn missing(what: &str, package: &str) -> Option<Server> {
    let msg = format!("{what} is not installed (apt-get install {package}): database-source test skipped");
    assert!(std::env::var_os("TECHMATCH_REQUIRE_DATABASES").is_none(), "{msg}");
    eprintln!("{msg}");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The uid and gid of a system user (servers refuse to run as root).
fn user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name)).then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    })
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `ready` holds (the server accepts a session), failing after 60 s with its log.
fn wait_until(log: &Path, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server did not start: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// PostgreSQL with user `techmatch`, password `password`, scram-sha-256 on TCP.
pub fn postgres(password: &str) -> Option<Server> {
    let bin = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|d| {
        d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max_by_key(|b| b.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()))
    });
    let Some(bin) = bin else {
        return missing("PostgreSQL", "postgresql");
    };
    let dir = tempfile::tempdir().unwrap();
    // As root, the server runs as the package's postgres user, which must own its directory.
    let as_user = if unsafe { libc::geteuid() } == 0 {
        let (uid, gid) = user("postgres").expect("the postgresql package's user");
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        Some((uid, gid))
    } else {
        None
    };
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, password).unwrap();
    if let Some((uid, gid)) = as_user {
        std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
    }
    let data = dir.path().join("data");
    let command = |name: &str| {
        let mut c = Command::new(bin.join(name));
        if let Some((uid, gid)) = as_user {
            c.uid(uid).gid(gid);
        }
        c
    };
    run(
        command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "techmatch", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display())),
        "initdb",
    );
    let port = free_port();
    let log = dir.path().join("server.log");
    let child = command("postgres")
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(dir.path())
        .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("postgres starts");
    let server = Server { child, dir, port };
    wait_until(&log, || postgres_client(port, password, "postgres").is_ok());
    Some(server)
}

pub fn postgres_client(port: u16, password: &str, db: &str) -> Result<postgres::Client, postgres::Error> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("techmatch")
        .password(password)
        .dbname(db)
        .connect(postgres::NoTls)
}

/// MariaDB with `root` (no password) and `techmatch` (password `password`) on TCP.
pub fn mariadb(password: &str) -> Option<Server> {
    let (Some(install), Some(server)) = (which("mariadb-install-db"), which("mariadbd")) else {
        return missing("MariaDB", "mariadb-server");
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let me = unsafe { libc::geteuid() };
    let user_arg = format!("--user={}", if me == 0 { "root".to_string() } else { whoami() });
    run(
        Command::new(install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(&user_arg)
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]),
        "mariadb-install-db",
    );
    let port = free_port();
    let log = dir.path().join("server.log");
    let child = Command::new(server)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", dir.path().join("sock").display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg(&user_arg)
        .arg(format!("--log-error={}", log.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mariadbd starts");
    let server = Server { child, dir, port };
    wait_until(&log, || mysql_conn(port, "root", "", None).is_ok());
    let mut root = mysql_conn(port, "root", "", None).unwrap();
    use mysql::prelude::Queryable;
    root.query_drop(format!(
        "CREATE USER 'techmatch'@'%' IDENTIFIED BY '{password}'; CREATE DATABASE portal CHARACTER SET utf8mb4; \
         GRANT ALL ON portal.* TO 'techmatch'@'%'"
    ))
    .unwrap();
    Some(server)
}

pub fn mysql_conn(port: u16, user: &str, password: &str, db: Option<&str>) -> Result<mysql::Conn, mysql::Error> {
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .db_name(db);
    mysql::Conn::new(opts)
}

fn which(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "nobody".into())
}
