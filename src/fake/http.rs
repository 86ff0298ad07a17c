//! A small HTTP/1.1 server on `std::net`, enough for the fake: keep-alive,
//! `Content-Length` bodies, and replies that can stall, break off or stream.
//!
//! It bounds what it spends: a capped number of connections, each on its own
//! thread, with read and write timeouts; a pause after an accept that fails
//! (as when the process is out of file descriptors); and, once stopped, no
//! thread left running.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Body, RecordedRequest, Reply};
use crate::dates;
use crate::text::is_header_text;

/// The largest request head or body the fake accepts.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How long a connection may wait for the next request, or for the rest of
/// one, before the fake closes it.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The pause after the first failed accept; each failure in a row doubles
/// it, up to [`MAX_ACCEPT_PAUSE`].
const FIRST_ACCEPT_PAUSE: Duration = Duration::from_millis(5);
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// Decides the reply to each request.
pub(super) trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &RecordedRequest) -> Reply;
}

/// What the server may spend, as set on the fake's builder.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The most connections served at once; the next waits to be accepted.
    pub(super) max_connections: usize,
    /// How long one write of a reply may block on a client that does not
    /// read.
    pub(super) write_timeout: Duration,
}

/// The server's connections and its stop signal, under one lock, so that a
/// thread waiting for a free slot or a pause wakes when the server stops.
pub(super) struct Server {
    limits: Limits,
    state: Mutex<Connections>,
    changed: Condvar,
    /// Accepts that failed, for tests to see the accept loop pause.
    pub(super) failed_accepts: AtomicU64,
}

#[derive(Default)]
struct Connections {
    stopped: bool,
    /// A handle on each open connection's socket, by number, to shut it
    /// down when the server stops.
    open: HashMap<u64, TcpStream>,
    /// The threads serving connections, joined when the server stops.
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    pub(super) fn new(limits: Limits) -> Self {
        Server {
            limits,
            state: Mutex::default(),
            changed: Condvar::new(),
            failed_accepts: AtomicU64::new(0),
        }
    }

    /// Locks the state; a panic on another thread leaves it usable.
    fn lock(&self) -> MutexGuard<'_, Connections> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops serving: every open connection is shut down, so that a thread
    /// blocked reading or writing it returns, and every pause ends. Returns
    /// the connection threads, for the caller to join.
    pub(super) fn stop(&self) -> Vec<JoinHandle<()>> {
        let mut connections = self.lock();
        connections.stopped = true;
        for stream in connections.open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.changed.notify_all();
        std::mem::take(&mut connections.threads)
    }

    fn is_stopped(&self) -> bool {
        self.lock().stopped
    }

    /// Waits `pause`, or less if the server stops; true when it stopped.
    fn pause(&self, pause: Duration) -> bool {
        let connections = self.lock();
        let (connections, _) = self
            .changed
            .wait_timeout_while(connections, pause, |connections| !connections.stopped)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        connections.stopped
    }

    /// Waits until fewer than the most connections are open; false when the
    /// server stopped instead.
    fn wait_for_slot(&self) -> bool {
        let connections = self.lock();
        let connections = self
            .changed
            .wait_while(connections, |connections| {
                !connections.stopped && connections.open.len() >= self.limits.max_connections
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        !connections.stopped
    }

    /// Serves `stream` on a thread of its own, unless the server stopped.
    fn spawn(
        self: &Arc<Self>,
        stream: TcpStream,
        number: u64,
        handler: &Arc<dyn Handler>,
    ) -> io::Result<()> {
        let handle = stream.try_clone()?;
        let mut connections = self.lock();
        if connections.stopped {
            return Ok(());
        }
        let server = Arc::clone(self);
        let handler = Arc::clone(handler);
        let thread = thread::Builder::new()
            .name("fake-partner-center-connection".into())
            .spawn(move || {
                // A broken connection ends only itself.
                let _ = serve_connection(&stream, number, handler.as_ref(), &server);
                server.close(number);
            })?;
        connections.open.insert(number, handle);
        connections.threads.retain(|thread| !thread.is_finished());
        connections.threads.push(thread);
        Ok(())
    }

    /// Forgets a connection whose thread is ending, freeing its slot.
    fn close(&self, number: u64) {
        self.lock().open.remove(&number);
        self.changed.notify_all();
    }
}

/// Accepts connections until the server stops, serving each on its own
/// thread and at most [`Limits::max_connections`] at once. After a failed
/// accept it pauses, longer after each failure in a row, rather than spin.
pub(super) fn serve(listener: TcpListener, handler: Arc<dyn Handler>, server: Arc<Server>) {
    let mut accepted = 0;
    let mut pause = FIRST_ACCEPT_PAUSE;
    while server.wait_for_slot() {
        let started = listener.accept().and_then(|(stream, _)| {
            accepted += 1;
            server.spawn(stream, accepted, &handler)
        });
        match started {
            Ok(()) => pause = FIRST_ACCEPT_PAUSE,
            Err(_) => {
                server.failed_accepts.fetch_add(1, Ordering::Relaxed);
                if server.pause(pause) {
                    return;
                }
                pause = pause.saturating_mul(2).min(MAX_ACCEPT_PAUSE);
            }
        }
    }
}

fn serve_connection(
    stream: &TcpStream,
    connection: u64,
    handler: &dyn Handler,
    server: &Server,
) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(server.limits.write_timeout))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    loop {
        let Some(mut request) = read_request(&mut reader)? else {
            return Ok(());
        };
        if server.is_stopped() {
            return Ok(());
        }
        request.connection = connection;
        let close = request
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let reply = handler.handle(&request);
        if let Some(delay) = reply.delay
            && server.pause(delay)
        {
            return Ok(());
        }
        if reply.drop_connection {
            stream.shutdown(Shutdown::Both)?;
            return Ok(());
        }
        write_reply(&mut writer, &request, &reply)?;
        if close || reply.close_after {
            stream.shutdown(Shutdown::Both)?;
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
        throttled: false,
    }))
}

/// Writes the reply's head and body. The request's `MS-RequestId` and
/// `MS-CorrelationId` are echoed, as the service does, when the reply sets
/// none and they are plain header text: a value with a line break could
/// forge a header. The reply's own headers are written as the script gave
/// them.
fn write_reply(
    writer: &mut impl Write,
    request: &RecordedRequest,
    reply: &Reply,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let has = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for echoed in ["MS-RequestId", "MS-CorrelationId"] {
        if let (false, Some(value)) = (has(echoed), request.header(echoed))
            && is_header_text(value)
        {
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
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = secs / 86_400;
    let (year, month, day) = dates::civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        dates::MONTHS[(month - 1) as usize % 12],
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
    use crate::fake::FakePartnerCenter;
    use std::sync::mpsc;

    /// Sends raw request bytes on a new connection and reads the answer to
    /// its end.
    fn exchange(fake: &FakePartnerCenter, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(fake.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// The head of an answer, one header a line.
    fn head(answer: &str) -> Vec<&str> {
        answer
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .split("\r\n")
            .collect()
    }

    #[test]
    fn a_line_break_in_a_request_header_is_not_echoed_into_the_reply() {
        let fake = FakePartnerCenter::start().unwrap();
        let answer = exchange(
            &fake,
            b"GET /v1/customers/c/carts/k HTTP/1.1\r\nHost: x\r\n\
              MS-RequestId: a\nX-Forged: 1\r\nMS-CorrelationId: b\rX-Forged: 2\r\n\
              Connection: close\r\n\r\n",
        );
        let lines = head(&answer);
        assert!(lines[0].starts_with("HTTP/1.1 "), "{answer}");
        assert!(
            !answer.contains("X-Forged") && !answer.contains("MS-RequestId"),
            "{answer}"
        );
        // Plain header text is echoed, as the service does.
        let answer = exchange(
            &fake,
            b"GET /v1/customers/c/carts/k HTTP/1.1\r\nMS-RequestId: 7d1f\r\nConnection: close\r\n\r\n",
        );
        assert!(head(&answer).contains(&"MS-RequestId: 7d1f"), "{answer}");
    }

    /// Drops the fake on another thread; true when that returned in time,
    /// which it does only once every thread it started has been joined.
    fn dropped_in_time(fake: FakePartnerCenter) -> bool {
        let (done, dropped) = mpsc::channel();
        thread::spawn(move || {
            drop(fake);
            let _ = done.send(());
        });
        dropped.recv_timeout(Duration::from_secs(10)).is_ok()
    }

    #[test]
    fn dropping_the_fake_ends_the_thread_of_a_client_that_stopped_reading() {
        let fake = FakePartnerCenter::start().unwrap();
        fake.push_reply(Reply::streamed(200, b'x', 1 << 30));
        let mut idle = TcpStream::connect(fake.address).unwrap();
        idle.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        // A reply delayed past any test keeps its thread waiting, too.
        fake.push_reply(Reply::status(204).delay(Duration::from_secs(3600)));
        let mut waiting = TcpStream::connect(fake.address).unwrap();
        waiting.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        while fake.requests().len() < 2 {
            thread::sleep(Duration::from_millis(5));
        }
        // The streaming thread fills the socket buffers and blocks.
        thread::sleep(Duration::from_millis(200));
        let server = Arc::clone(&fake.server);
        assert_eq!(server.lock().open.len(), 2);

        assert!(dropped_in_time(fake), "the fake's threads outlived it");
        // Every thread held the server; none does any more.
        assert_eq!(Arc::strong_count(&server), 1);
        assert!(server.lock().open.is_empty());
    }

    #[test]
    fn connections_beyond_the_cap_wait_for_a_free_one() {
        let fake = FakePartnerCenter::builder()
            .max_connections(2)
            .start()
            .unwrap();
        let request = b"GET /v1/customers/c/carts/k HTTP/1.1\r\n\r\n";
        let mut open: Vec<TcpStream> = (0..2)
            .map(|_| {
                let mut stream = TcpStream::connect(fake.address).unwrap();
                stream.write_all(request).unwrap();
                // An answer shows the connection was accepted; it stays open.
                let mut first = [0; 1];
                stream.read_exact(&mut first).unwrap();
                stream
            })
            .collect();
        let mut third = TcpStream::connect(fake.address).unwrap();
        third.write_all(request).unwrap();
        third
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut first = [0; 1];
        let early = third.read(&mut first);
        assert!(
            early.as_ref().is_err_and(|error| matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )),
            "served beyond the cap: {early:?}"
        );
        assert_eq!(fake.requests().len(), 2);

        drop(open.pop());
        third
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        third.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"H");
        assert_eq!(fake.requests().len(), 3);
    }

    #[test]
    fn recorded_requests_keep_to_their_limits() {
        let fake = FakePartnerCenter::builder()
            .max_recorded_requests(4)
            .max_recorded_body_bytes(1000)
            .start()
            .unwrap();
        let post = |tag: u8| {
            let mut request =
                b"POST /v1/x HTTP/1.1\r\nContent-Length: 400\r\nConnection: close\r\n\r\n".to_vec();
            request.extend([tag; 400]);
            exchange(&fake, &request);
        };
        for tag in 1..=3 {
            post(tag);
        }
        // 1200 bytes of bodies are over the 1000 allowed: the oldest goes.
        let kept: Vec<u8> = fake.requests().iter().map(|r| r.body[0]).collect();
        assert_eq!(kept, [2, 3]);
        for _ in 0..5 {
            exchange(&fake, b"GET /v1/y HTTP/1.1\r\nConnection: close\r\n\r\n");
        }
        let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/v1/y"; 4]);
        // The latest request is kept whatever its size.
        let mut big =
            b"POST /v1/z HTTP/1.1\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n".to_vec();
        big.extend([9; 2000]);
        exchange(&fake, &big);
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].body.len(), 2000);
    }

    /// Set in the environment of the child that runs out of descriptors.
    const FEW_DESCRIPTORS: &str = "PCC_FAKE_FEW_DESCRIPTORS";

    #[cfg(target_os = "linux")]
    #[test]
    fn the_accept_loop_pauses_when_out_of_descriptors() {
        use std::io::BufRead;
        use std::process::{Command, Stdio};

        if std::env::var_os(FEW_DESCRIPTORS).is_some() {
            // The child: serve with no descriptor left, so that every
            // connection the parent queues fails to be accepted, then count
            // how often the loop tries.
            let fake = FakePartnerCenter::start().unwrap();
            let hoard: Vec<std::fs::File> =
                std::iter::from_fn(|| std::fs::File::open("/dev/null").ok()).collect();
            assert!(!hoard.is_empty());
            println!("PORT {}", fake.address.port());
            let mut go = String::new();
            io::stdin().read_line(&mut go).unwrap();
            thread::sleep(Duration::from_millis(300));
            let before = fake.server.failed_accepts.load(Ordering::Relaxed);
            thread::sleep(Duration::from_secs(1));
            let after = fake.server.failed_accepts.load(Ordering::Relaxed);
            assert!(before > 0, "accepting never failed");
            // Pausing, it tries about twice a second; spinning, millions.
            assert!(
                after - before <= 10,
                "{} failed accepts in a second",
                after - before
            );
            return;
        }
        let test = "fake::http::tests::the_accept_loop_pauses_when_out_of_descriptors";
        let mut child = Command::new("sh")
            .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(FEW_DESCRIPTORS, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = io::BufReader::new(child.stdout.take().unwrap());
        let port = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the child printed no port"
            );
            // The harness's "test ... " may start the line.
            if let Some((_, port)) = line.split_once("PORT ") {
                break port.trim().parse::<u16>().unwrap();
            }
        };
        let queued: Vec<TcpStream> = (0..20)
            .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
            .collect();
        assert_eq!(queued.len(), 20);
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success() && rest.contains("1 passed"), "{rest}");
    }

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
            assert_eq!(crate::dates::parse_http_date(&text), Some(secs), "{text}");
        }
    }
}
