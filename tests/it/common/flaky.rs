//! A loopback HTTP server that follows a script, for faults wiremock cannot play:
//! a connection dropped without an answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub enum Step {
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer with this status and JSON body.
    Answer(u16, String),
}

pub struct Flaky {
    pub addr: SocketAddr,
    /// Requests received, answered or not.
    pub requests: Arc<AtomicUsize>,
    /// The bodies of the requests that were answered.
    pub answered: Arc<Mutex<Vec<String>>>,
}

impl Flaky {
    /// Serves `script` one step per request; the last step repeats.
    pub fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let (count, bodies) = (requests.clone(), answered.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(body) = read_request(&mut stream) else {
                    continue;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                match &script[n.min(script.len() - 1)] {
                    Step::Drop => drop(stream),
                    Step::Answer(status, json) => {
                        bodies.lock().unwrap().push(body);
                        let response = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                             Connection: close\r\n\r\n{json}",
                            json.len()
                        );
                        let _ = stream.write_all(response.as_bytes());
                    }
                }
            }
        });
        Self {
            addr,
            requests,
            answered,
        }
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads one HTTP/1.1 request; returns its body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}
