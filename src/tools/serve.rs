//! Serve: a small static file server with HTTP Range support, bound to 127.0.0.1 by default.
//!
//! It serves the demo portal and the bundle; ranges let a browser fetch only the bundle bytes a
//! query needs. No compression is applied, so byte ranges always refer to the file on disk.
//!
//! Written on `std::net` rather than a framework (hyper, axum): what it must do is small — files
//! inside one folder (symlinks resolved and confined), ranges coalesced and answered as one
//! multipart body, bounded request heads — and an async stack would add minutes to every build on
//! two cores for a command that serves one broker's browser on loopback.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "csv" => "text/csv; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Most ranges one request may ask for.
const MAX_RANGES: usize = 256;
/// Longest request line (414 past it) and most bytes of header lines (431 past them).
const MAX_REQUEST_LINE: u64 = 8 * 1024;
const MAX_HEADERS: u64 = 32 * 1024;
/// How long a connection may take to send its request.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Separates the parts of a multipart/byteranges answer (found by their lengths, not by searching).
const BOUNDARY: &str = "techmatch-byteranges-3f9c1e";

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n`, or several of them separated by commas, against a
/// file of `len` bytes: the inclusive ranges it can answer, or `None` when there is none, the header
/// is malformed, or it asks for more than [`MAX_RANGES`].
pub fn parse_ranges(header: &str, len: u64) -> Option<Vec<(u64, u64)>> {
    let pieces: Vec<&str> = header.trim().strip_prefix("bytes=")?.split(',').collect();
    if pieces.len() > MAX_RANGES {
        return None;
    }
    let last = len.checked_sub(1)?;
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let (a, b) = piece.trim().split_once('-')?;
        let (start, end) = match (a.trim(), b.trim()) {
            ("", n) => (len.saturating_sub(n.parse().ok()?), last),
            (a, "") => (a.parse().ok()?, last),
            (a, b) => {
                let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
                if b < a {
                    return None;
                }
                (a, b.min(last))
            }
        };
        if start <= end {
            out.push((start, end));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The ranges to answer for what was asked: sorted, overlapping and adjacent ones merged; `None`
/// (answer the whole file) when the asked ranges add up to more than the file, as nginx does, so no
/// answer carries more bytes than the file holds.
fn coalesce(mut spans: Vec<(u64, u64)>, len: u64) -> Option<Vec<(u64, u64)>> {
    if spans.iter().map(|(a, b)| b - a + 1).sum::<u64>() > len {
        return None;
    }
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    Some(out)
}

/// The file under `root` (canonical) for a request path, refusing anything that climbs out of it,
/// by `..` or through a symlink.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.canonicalize().ok().filter(|p| p.starts_with(root))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One line of the request head, at most `max` bytes: `None` when it is longer.
fn read_head_line(reader: &mut impl BufRead, max: u64) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = reader.take(max + 1).read_until(b'\n', &mut line)?;
    if n as u64 > max {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn respond(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let status =
        |s: &mut TcpStream, code: &str| write!(s, "HTTP/1.1 {code}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    // A head refused unread: answer, then read on a little, so closing does not reset the
    // connection before the client has the answer.
    let refuse = |s: &mut TcpStream, reader: &mut BufReader<TcpStream>, code: &str| {
        status(s, code)?;
        s.shutdown(std::net::Shutdown::Write)?;
        s.set_read_timeout(Some(std::time::Duration::from_millis(500)))?;
        let _ = std::io::copy(&mut reader.take(1 << 20), &mut std::io::sink());
        Ok(())
    };
    let Some(request_line) = read_head_line(&mut reader, MAX_REQUEST_LINE)? else {
        return refuse(&mut stream, &mut reader, "414 URI Too Long");
    };
    let mut range = None;
    let mut if_range = None;
    let mut budget = MAX_HEADERS;
    loop {
        let Some(line) = read_head_line(&mut reader, budget)? else {
            return refuse(&mut stream, &mut reader, "431 Request Header Fields Too Large");
        };
        budget -= line.len() as u64;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            } else if k.trim().eq_ignore_ascii_case("if-range") {
                if_range = Some(v.trim().to_string());
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return status(&mut stream, "405 Method Not Allowed");
    }
    let Some(path) = resolve(root, target).filter(|p| p.is_file()) else {
        return status(&mut stream, "404 Not Found");
    };
    let mut file = std::fs::File::open(&path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let etag = etag(&meta);
    // A range of another version of the file (If-Range names an older one): the whole file.
    if if_range.is_some_and(|v| v != etag) {
        range = None;
    }
    let spans = match range.as_deref() {
        None => None,
        Some(r) => match parse_ranges(r, len) {
            Some(spans) => coalesce(spans, len),
            None => {
                return write!(stream, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        },
    };
    let ct = content_type(&path);
    // The body as pieces: text before the file bytes, then the bytes (start, length).
    let (code, headers, pieces, tail) = match spans.as_deref() {
        None => ("200 OK", format!("Content-Type: {ct}\r\n"), vec![(String::new(), 0, len)], String::new()),
        Some(&[(start, end)]) => ("206 Partial Content", format!("Content-Type: {ct}\r\nContent-Range: bytes {start}-{end}/{len}\r\n"), vec![(String::new(), start, end - start + 1)], String::new()),
        Some(spans) => (
            "206 Partial Content",
            format!("Content-Type: multipart/byteranges; boundary={BOUNDARY}\r\n"),
            spans.iter().map(|&(start, end)| (format!("\r\n--{BOUNDARY}\r\nContent-Type: {ct}\r\nContent-Range: bytes {start}-{end}/{len}\r\n\r\n"), start, end - start + 1)).collect(),
            format!("\r\n--{BOUNDARY}--\r\n"),
        ),
    };
    let body_len = pieces.iter().map(|(head, _, n)| head.len() as u64 + n).sum::<u64>() + tail.len() as u64;
    let head = format!("HTTP/1.1 {code}\r\n{headers}Content-Length: {body_len}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if method == "GET" {
        for (head, start, n) in pieces {
            stream.write_all(head.as_bytes())?;
            file.seek(SeekFrom::Start(start))?;
            std::io::copy(&mut (&mut file).take(n), &mut stream)?;
        }
        stream.write_all(tail.as_bytes())?;
    }
    stream.flush()
}

/// A strong validator of a file's version: its length and modification time, as nginx writes it.
fn etag(meta: &std::fs::Metadata) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "\"{:x}-{:x}-{:x}\"",
        modified.as_secs(),
        modified.subsec_nanos(),
        meta.len()
    )
}

/// Serves `dir` until the process is stopped.
pub fn serve(dir: &Path, host: &str, port: u16) -> std::io::Result<()> {
    let root = dir.canonicalize()?;
    let listener = TcpListener::bind((host, port))?;
    let addr = listener.local_addr()?;
    println!("techmatch: serving {} at http://{addr}/", root.display());
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = respond(stream, &root);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_ranges("bytes=0-99", 1000), Some(vec![(0, 99)]));
        assert_eq!(parse_ranges("bytes=900-", 1000), Some(vec![(900, 999)]));
        assert_eq!(parse_ranges("bytes=-100", 1000), Some(vec![(900, 999)]));
        assert_eq!(parse_ranges("bytes=990-2000", 1000), Some(vec![(990, 999)]));
        assert_eq!(
            parse_ranges("bytes=0-1, 5-6,2000-", 1000),
            Some(vec![(0, 1), (5, 6)]),
            "unsatisfiable pieces are left out"
        );
        assert_eq!(parse_ranges("bytes=1000-", 1000), None);
        assert_eq!(parse_ranges("bytes=5-1", 1000), None);
        assert_eq!(parse_ranges("bytes=0-1,x", 1000), None);
        assert_eq!(parse_ranges("bytes=0-1", 0), None);
        assert_eq!(
            parse_ranges(&format!("bytes={}", vec!["0-1"; MAX_RANGES + 1].join(",")), 1000),
            None
        );
    }

    /// One request to `respond` over loopback: the raw answer.
    fn ask(root: &Path, request: &str) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().unwrap();
        client.write_all(request.as_bytes()).unwrap();
        respond(stream, root).unwrap();
        let mut out = Vec::new();
        client.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_range_of_another_version_of_the_file_is_answered_with_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.bundle"), vec![7u8; 3000]).unwrap();
        let head = |answer: &[u8]| {
            String::from_utf8_lossy(answer)
                .lines()
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let first = head(&ask(dir.path(), "GET /t.bundle HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n"));
        let etag = first
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_string();
        assert!(first.starts_with("HTTP/1.1 206") && etag.starts_with('"'), "{first}");
        let same = format!("GET /t.bundle HTTP/1.1\r\nRange: bytes=0-9\r\nIf-Range: {etag}\r\n\r\n");
        assert!(head(&ask(dir.path(), &same)).starts_with("HTTP/1.1 206"));
        // The file rebuilt in place: its validator changes, and a range asked of the old one is refused
        // as a range (the whole new file comes, a 200), so a page that opened the old one sees it.
        std::fs::write(dir.path().join("t.bundle"), vec![8u8; 3001]).unwrap();
        let changed = head(&ask(dir.path(), &same));
        assert!(
            changed.starts_with("HTTP/1.1 200") && changed.contains("Content-Length: 3001"),
            "{changed}"
        );
        assert!(!changed.contains(&etag), "{changed}");
    }

    #[test]
    fn several_ranges_come_as_one_multipart_answer_whose_length_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let file: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        std::fs::write(dir.path().join("t.bundle"), &file).unwrap();
        let answer = ask(
            dir.path(),
            "GET /t.bundle HTTP/1.1\r\nRange: bytes=10-19,4000-4099,-5\r\n\r\n",
        );
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let (head, body) = (String::from_utf8_lossy(&answer[..split]).to_string(), &answer[split..]);
        assert!(
            head.starts_with("HTTP/1.1 206") && head.contains(&format!("multipart/byteranges; boundary={BOUNDARY}")),
            "{head}"
        );
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())), "{head}");
        // Each part: its Content-Range, then exactly those bytes of the file.
        let mut at = 0;
        let mut got = Vec::new();
        for (start, end) in [(10, 19), (4000, 4099), (4995, 4999)] {
            let part_head = format!("\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes {start}-{end}/5000\r\n\r\n");
            assert_eq!(&body[at..at + part_head.len()], part_head.as_bytes());
            at += part_head.len();
            got.push(body[at..at + end - start + 1].to_vec());
            assert_eq!(got.last().unwrap().as_slice(), &file[start..=end]);
            at += end - start + 1;
        }
        assert_eq!(&body[at..], format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let one = ask(dir.path(), "GET /t.bundle HTTP/1.1\r\nRange: bytes=10-19\r\n\r\n");
        assert!(
            one.ends_with(&file[10..20])
                && String::from_utf8_lossy(&one).contains("Content-Range: bytes 10-19/5000\r\n")
        );
        assert!(ask(dir.path(), "GET /t.bundle HTTP/1.1\r\nRange: bytes=6000-\r\n\r\n").starts_with(b"HTTP/1.1 416"));
    }

    #[test]
    fn paths_stay_inside_the_root_symlinks_included() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/b.js"), "ok").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("secret.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("a/b.js"), root.join("c.js")).unwrap();
        assert_eq!(resolve(&root, "/a/b.js?x=1"), Some(root.join("a/b.js")));
        assert_eq!(
            resolve(&root, "/c.js"),
            Some(root.join("a/b.js")),
            "a link inside the folder is followed"
        );
        for refused in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/out/secret.txt",
            "/secret.txt",
            "/out/",
        ] {
            assert_eq!(resolve(&root, refused), None, "{refused}");
        }
        assert!(ask(&root, "GET /out/secret.txt HTTP/1.1\r\n\r\n").starts_with(b"HTTP/1.1 404"));
    }

    #[test]
    fn overlapping_ranges_are_merged_and_never_answer_more_than_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        std::fs::write(dir.path().join("t.bundle"), &file).unwrap();
        let merged = ask(
            dir.path(),
            "GET /t.bundle HTTP/1.1\r\nRange: bytes=100-199,0-99,150-249\r\n\r\n",
        );
        let head =
            String::from_utf8_lossy(&merged[..merged.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]).to_string();
        assert!(
            head.contains("Content-Range: bytes 0-249/1000") && head.contains("Content-Length: 250"),
            "{head}"
        );
        assert!(merged.ends_with(&file[..250]));
        // 200 copies of the whole file asked in one header: the file once, as a 200.
        let many = format!(
            "GET /t.bundle HTTP/1.1\r\nRange: bytes={}\r\n\r\n",
            vec!["0-"; 200].join(",")
        );
        let answer = ask(dir.path(), &many);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        assert!(String::from_utf8_lossy(&answer).contains("Content-Length: 1000\r\n"));
        assert!(answer.ends_with(&file) && answer.len() < 1200, "{} bytes", answer.len());
        assert_eq!(
            coalesce(vec![(0, 9), (10, 19), (30, 39)], 100),
            Some(vec![(0, 19), (30, 39)])
        );
    }

    #[test]
    fn request_heads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.txt"), "x").unwrap();
        let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(64 * 1024));
        assert!(ask(dir.path(), &long_line).starts_with(b"HTTP/1.1 414"));
        let no_newline = "G".repeat(1 << 20);
        assert!(ask(dir.path(), &no_newline).starts_with(b"HTTP/1.1 414"));
        let big_headers = format!(
            "GET /t.txt HTTP/1.1\r\n{}\r\n",
            "X-Pad: yyyyyyyyyyyyyyyyyyyyyyyy\r\n".repeat(2000)
        );
        assert!(ask(dir.path(), &big_headers).starts_with(b"HTTP/1.1 431"));
        assert!(ask(dir.path(), "GET /t.txt HTTP/1.1\r\nX-Pad: y\r\n\r\n").ends_with(b"\r\n\r\nx"));
    }
}
