//! Proxies on loopback for the proxy tests: a SOCKS5 server that relays to
//! loopback targets, and an HTTP proxy that only records what it is asked.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A SOCKS5 server (no authentication, or any user name and password): it
/// records each target it is asked for as `host:port`, relays to targets on
/// 127.0.0.1 and refuses the rest.
pub struct Socks5 {
    pub url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Socks5 {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                thread::spawn(move || {
                    let _ = socks5(stream, &seen);
                });
            }
        });
        Socks5 {
            url: format!("socks5://{address}"),
            targets,
        }
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

fn socks5(mut client: TcpStream, seen: &Mutex<Vec<String>>) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = [0u8; 2];
    client.read_exact(&mut head)?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods)?;
    if methods.contains(&0) {
        client.write_all(&[5, 0])?;
    } else {
        // User name and password (RFC 1929): any pair is let in.
        client.write_all(&[5, 2])?;
        let mut version_and_len = [0u8; 2];
        client.read_exact(&mut version_and_len)?;
        let mut user = vec![0u8; usize::from(version_and_len[1])];
        client.read_exact(&mut user)?;
        let mut len = [0u8; 1];
        client.read_exact(&mut len)?;
        let mut password = vec![0u8; usize::from(len[0])];
        client.read_exact(&mut password)?;
        client.write_all(&[1, 0])?;
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request)?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip)?;
            Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len)?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let port = u16::from_be_bytes(port);
    seen.lock().unwrap().push(format!("{host}:{port}"));
    let target = match host.as_str() {
        "127.0.0.1" | "localhost" => TcpStream::connect(("127.0.0.1", port)).ok(),
        _ => None,
    };
    let Some(target) = target else {
        // "Connection not allowed by ruleset."
        client.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0])?;
        return Ok(());
    };
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    client.set_read_timeout(None)?;
    let (mut up_in, mut up_out) = (client.try_clone()?, target.try_clone()?);
    let upstream = thread::spawn(move || {
        let _ = io::copy(&mut up_in, &mut up_out);
        let _ = up_out.shutdown(Shutdown::Write);
    });
    let (mut down_in, mut down_out) = (target, client);
    let _ = io::copy(&mut down_in, &mut down_out);
    let _ = down_out.shutdown(Shutdown::Write);
    let _ = upstream.join();
    Ok(())
}

/// An HTTP proxy that records the first line of each request (such as
/// `CONNECT 192.0.2.1:443 HTTP/1.1`) and answers 502.
pub struct HttpProxy {
    pub url: String,
    pub address: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl HttpProxy {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut reader = BufReader::new(&stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_ok() {
                        seen.lock().unwrap().push(line.trim_end().to_owned());
                    }
                    let _ = (&stream).write_all(
                        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                });
            }
        });
        HttpProxy {
            url: format!("http://{address}"),
            address,
            lines,
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}
