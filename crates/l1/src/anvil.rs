//! [`Anvil`]: anvil as a child process — the L1 of devnets and end-to-end tests. Found on `PATH`,
//! at an explicit path, or where `npm ci` in `contracts/` put it; its state can be dumped on exit
//! and loaded on the next start, so a devnet's L1 survives restarts.

use crate::{L1Client, L1Error, L1Result};
use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};

/// Where `npm ci` in `contracts/` installs anvil (the pinned `@foundry-rs/anvil-linux-amd64`).
pub const NPM_ANVIL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
);

/// The anvil binary: `explicit` if given, else `anvil` on `PATH`, else the npm-installed one.
pub fn find_anvil(explicit: Option<&Path>) -> L1Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("anvil");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let npm = PathBuf::from(NPM_ANVIL);
    if npm.is_file() {
        return Ok(npm);
    }
    Err(L1Error::AnvilNotFound)
}

/// How to start anvil.
#[derive(Debug, Clone, Default)]
pub struct AnvilConfig {
    /// The binary ([`find_anvil`] when `None`).
    pub binary: Option<PathBuf>,
    /// The port (a free one when 0).
    pub port: u16,
    /// Seconds between blocks (`None`: a block per transaction).
    pub block_time: Option<u64>,
    /// A hardfork name (`prague`, `osaka`, …); anvil's default when `None`.
    pub hardfork: Option<String>,
    /// A file anvil loads its state from (if it exists) and dumps it to on exit.
    pub state: Option<PathBuf>,
    /// The chain id (anvil's 31337 when `None`).
    pub chain_id: Option<u64>,
}

/// A running anvil; killed when dropped (use [`Anvil::stop`] to let it dump its state).
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    binary: PathBuf,
    addr: SocketAddr,
}

/// A free local TCP port.
pub fn free_port() -> L1Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|source| L1Error::Io { path: "127.0.0.1:0".into(), source })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|source| L1Error::Io { path: "127.0.0.1:0".into(), source })
}

impl Anvil {
    /// Starts anvil and waits until it answers JSON-RPC.
    pub async fn spawn(config: &AnvilConfig) -> L1Result<Self> {
        let binary = find_anvil(config.binary.as_deref())?;
        let port = if config.port == 0 { free_port()? } else { config.port };
        let mut command = Command::new(&binary);
        command.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
        if let Some(seconds) = config.block_time {
            command.args(["--block-time", &seconds.to_string()]);
        }
        if let Some(hardfork) = &config.hardfork {
            command.args(["--hardfork", hardfork]);
        }
        if let Some(chain_id) = config.chain_id {
            command.args(["--chain-id", &chain_id.to_string()]);
        }
        if let Some(state) = &config.state {
            // `--state` loads the file when it exists and dumps to it on exit; the historical
            // states keep old blocks' state queryable after a reload.
            command.arg("--state").arg(state).arg("--preserve-historical-states");
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|source| L1Error::AnvilSpawn { path: binary.clone(), source })?;
        let mut anvil = Self { child, binary, addr: SocketAddr::from(([127, 0, 0, 1], port)) };
        anvil.wait_ready(Duration::from_secs(30)).await?;
        // Drain its output so a chatty anvil never blocks on a full pipe.
        for pipe in [
            anvil
                .child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            anvil
                .child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(async move {
                let mut pipe = pipe;
                let _ = tokio::io::copy(&mut pipe, &mut tokio::io::sink()).await;
            });
        }
        Ok(anvil)
    }

    async fn wait_ready(&mut self, timeout: Duration) -> L1Result<()> {
        let client = L1Client::new(&self.url())?;
        let started = tokio::time::Instant::now();
        loop {
            if client.chain_id().await.is_ok() {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(|source| L1Error::AnvilSpawn { path: self.binary.clone(), source })?
            {
                let mut output = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = stderr.read_to_string(&mut output).await;
                }
                if let Some(mut stdout) = self.child.stdout.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = stdout.read_to_string(&mut output).await;
                }
                let tail: String = output.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                return Err(L1Error::AnvilExited {
                    path: self.binary.clone(),
                    status,
                    output: tail,
                });
            }
            if started.elapsed() > timeout {
                return Err(L1Error::AnvilNotReady {
                    path: self.binary.clone(),
                    url: self.url(),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Its JSON-RPC URL (also the base of its beacon API).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its address.
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// A client of it.
    pub fn client(&self) -> L1Result<L1Client> {
        L1Client::new(&self.url())
    }

    /// Stops it with SIGTERM, so it dumps its state, and waits for it to exit.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // An error means it has already exited.
            let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}
