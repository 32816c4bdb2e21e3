//! A blocking JSON-RPC client over one keep-alive HTTP/1.1 connection: the load generator's
//! connection, so that request rates measure the servers, not TCP handshakes.

use serde_json::{Value, json};
use std::{
    io::{self, BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// One connection to a JSON-RPC server.
pub(crate) struct Connection {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    next_id: u64,
}

impl Connection {
    pub(crate) fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Self { addr, reader: BufReader::new(stream), next_id: 1 })
    }

    /// Posts `body` and returns the response body.
    pub(crate) fn post(&mut self, body: &str) -> io::Result<Vec<u8>> {
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        if !line.starts_with("HTTP/1.1 200") {
            return Err(io::Error::other(format!("HTTP status: {}", line.trim())));
        }
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        if chunked {
            return self.read_chunked();
        }
        let length = length.ok_or_else(|| io::Error::other("response without a length"))?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(body)
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::other("bad chunk size"))?;
            if size == 0 {
                line.clear();
                self.reader.read_line(&mut line)?;
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..])?;
            let mut crlf = [0; 2];
            self.reader.read_exact(&mut crlf)?;
        }
    }

    /// Calls `method`; a JSON-RPC error is an `Err` with its message.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let reply = self.post(&body.to_string()).map_err(|err| format!("{method}: {err}"))?;
        let reply: Value =
            serde_json::from_slice(&reply).map_err(|err| format!("{method}: {err}"))?;
        match reply.get("error") {
            Some(error) => Err(format!("{method}: {error}")),
            None => Ok(reply["result"].clone()),
        }
    }

    /// Sends `calls` as one batch; returns the results in order (errors as `Err`).
    pub(crate) fn batch(
        &mut self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, String>>, String> {
        let first = self.next_id;
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (method, params))| {
                json!({"jsonrpc": "2.0", "id": first + i as u64, "method": method, "params": params})
            })
            .collect();
        self.next_id += calls.len() as u64;
        let reply = self.post(&Value::Array(body).to_string()).map_err(|err| err.to_string())?;
        let replies: Vec<Value> = serde_json::from_slice(&reply).map_err(|err| err.to_string())?;
        let mut ordered: Vec<Option<Result<Value, String>>> = vec![None; calls.len()];
        for reply in replies {
            let Some(index) = reply["id"].as_u64().and_then(|id| id.checked_sub(first)) else {
                continue;
            };
            if let Some(slot) = ordered.get_mut(index as usize) {
                *slot = Some(match reply.get("error") {
                    Some(error) => Err(error.to_string()),
                    None => Ok(reply["result"].clone()),
                });
            }
        }
        ordered
            .into_iter()
            .map(|reply| reply.ok_or_else(|| "a batch reply is missing".to_string()))
            .collect()
    }
}

/// A hex quantity as a number.
pub(crate) fn quantity(value: &Value) -> u64 {
    value
        .as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0)
}
