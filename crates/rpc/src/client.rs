//! A minimal blocking JSON-RPC-over-HTTP client (one request per connection), for the
//! conformance runner and tests: no async runtime and no HTTP library needed on the caller's side.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting, writing or reading failed (including the timeout).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The reply is not a well-formed HTTP response.
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
    /// The server answered with a status other than 200.
    #[error("HTTP status {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The response body.
        body: String,
    },
}

/// POSTs `body` as JSON to `addr`, with an `Authorization: Bearer` header when `bearer` is set,
/// and returns the response body.
pub fn post(
    addr: SocketAddr,
    body: &str,
    bearer: Option<&str>,
    timeout: Duration,
) -> Result<String, ClientError> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let auth = bearer.map(|token| format!("Authorization: Bearer {token}\r\n")).unwrap_or_default();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).map_err(|_| ClientError::Malformed("not UTF-8".into()))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| ClientError::Malformed("no header end".into()))?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| ClientError::Malformed("no status line".into()))?;
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)?
    } else {
        body.to_string()
    };
    if status != 200 {
        return Err(ClientError::Status { status, body });
    }
    Ok(body)
}

fn dechunk(mut body: &str) -> Result<String, ClientError> {
    let malformed = || ClientError::Malformed("bad chunked encoding".into());
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").ok_or_else(malformed)?;
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| malformed())?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..size).ok_or_else(malformed)?);
        body = rest.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(), "abcde");
        assert!(dechunk("zz\r\n").is_err());
    }
}
