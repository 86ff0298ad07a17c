//! A small HTTP/1.1 server on `std::net`, enough for the fake: keep-alive,
//! `Content-Length` bodies, and replies that can stall, break off or stream.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Body, RecordedRequest, Reply};

/// The largest request head or body the fake accepts.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Decides the reply to each request.
pub(super) trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &RecordedRequest) -> Reply;
}

/// Accepts connections until `stop` is set, serving each on its own thread.
pub(super) fn serve(listener: TcpListener, handler: Arc<dyn Handler>, stop: Arc<AtomicBool>) {
    let connections = AtomicU64::new(0);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let connection = connections.fetch_add(1, Ordering::SeqCst) + 1;
        let handler = Arc::clone(&handler);
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            // A broken connection ends only itself.
            let _ = serve_connection(stream, connection, handler.as_ref(), &stop);
        });
    }
}

fn serve_connection(
    stream: TcpStream,
    connection: u64,
    handler: &dyn Handler,
    stop: &AtomicBool,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let Some(mut request) = read_request(&mut reader)? else {
            return Ok(());
        };
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        request.connection = connection;
        let close = request
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let reply = handler.handle(&request);
        if let Some(delay) = reply.delay {
            thread::sleep(delay);
        }
        if reply.drop_connection {
            writer.shutdown(Shutdown::Both)?;
            return Ok(());
        }
        write_reply(&mut writer, &request, &reply)?;
        if close || reply.close_after {
            writer.shutdown(Shutdown::Both)?;
            return Ok(());
        }
    }
}

/// Reads one request; `None` when the client closed the connection.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<RecordedRequest>> {
    let mut head = Vec::new();
    loop {
        let read = reader
            .by_ref()
            .take(MAX_HEAD as u64)
            .read_until(b'\n', &mut head)?;
        if read == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        if head.ends_with(b"\r\n\r\n") || head == b"\r\n" {
            break;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "request body too large",
        ));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(RecordedRequest {
        method,
        path,
        headers,
        body,
        connection: 0,
        received_at: std::time::Instant::now(),
    }))
}

fn write_reply(writer: &mut TcpStream, request: &RecordedRequest, reply: &Reply) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let has = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for echoed in ["MS-RequestId", "MS-CorrelationId"] {
        if let (false, Some(value)) = (has(echoed), request.header(echoed)) {
            head.push_str(&format!("{echoed}: {value}\r\n"));
        }
    }
    if !has("content-type") && !matches!(reply.body, Body::Bytes(ref bytes) if bytes.is_empty()) {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    if !has("date") {
        head.push_str(&format!("Date: {}\r\n", http_date(SystemTime::now())));
    }
    if reply.close_after && !has("connection") {
        head.push_str("Connection: close\r\n");
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match &reply.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            writer.write_all(head.as_bytes())?;
            writer.write_all(bytes)?;
        }
        Body::Repeated { byte, len, chunked } => {
            if *chunked {
                head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            } else {
                head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
            }
            writer.write_all(head.as_bytes())?;
            let chunk = vec![*byte; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                let part = &chunk[..usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len())];
                if *chunked {
                    write!(writer, "{:x}\r\n", part.len())?;
                    writer.write_all(part)?;
                    writer.write_all(b"\r\n")?;
                } else {
                    writer.write_all(part)?;
                }
                left -= part.len() as u64;
            }
            if *chunked {
                writer.write_all(b"0\r\n\r\n")?;
            }
        }
    }
    writer.flush()
}

/// An HTTP date (IMF-fixdate), such as `Tue, 24 Nov 2026 11:34:01 GMT`.
pub(super) fn http_date(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = secs / 86_400;
    let (year, month, day) = super::store::civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize % 12],
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(at(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            http_date(at(1_795_549_441)),
            "Tue, 24 Nov 2026 19:44:01 GMT"
        );
        for secs in (0..4_000_000_000_u64).step_by(7_777_777) {
            let text = http_date(at(secs));
            assert_eq!(crate::retry::parse_http_date(&text), Some(secs), "{text}");
        }
    }
}
