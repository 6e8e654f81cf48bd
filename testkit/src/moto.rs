//! A moto server (AWS emulator) on a free loopback port, stopped when dropped.
//!
//! `moto_server` comes from `pip install 'moto[server]'` (`.ci/run` installs it); `MOTO_SERVER` may name
//! the executable. ACM certificates stay PENDING_VALIDATION (`MOTO_ACM_VALIDATION_WAIT`), and hash order
//! is pinned so DomainValidationOptions come back in a stable order.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    child: Child,
    addr: SocketAddr,
}

impl Moto {
    /// Starts moto on 127.0.0.1 at a free port and waits until it answers.
    pub fn start() -> std::io::Result<Moto> {
        Moto::start_with_validation_wait(86_400)
    }

    /// Like `start`, with certificates issued `secs` after their request (0: at once).
    pub fn start_with_validation_wait(secs: u32) -> std::io::Result<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let exe = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ACM_VALIDATION_WAIT", secs.to_string())
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot start {exe}: {e} (pip install 'moto[server]')"),
                )
            })?;
        let mut moto = Moto {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if moto
                .get("/moto-api/")
                .map(|r| r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"))
                .unwrap_or(false)
            {
                return Ok(moto);
            }
            if let Some(status) = moto.child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "moto_server exited: {status}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other(
            "moto_server did not answer within 30 s",
        ))
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A raw HTTP GET (moto's own API: `/moto-api/data.json`, ...), returning the whole response.
    pub fn get(&self, path: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
