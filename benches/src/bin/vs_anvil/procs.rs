//! The two nodes under test, each a child process on loopback with a memory watchdog.

use crate::rpc::Connection;
use serde_json::json;
use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// anvil's and our dev chain's mnemonic: the same funded accounts on both.
pub(crate) const MNEMONIC: &str = "test test test test test test test test test test test junk";
/// The chain id both run with, so that one set of signed transactions serves both.
pub(crate) const CHAIN_ID: u64 = 1337;

/// How blocks are made.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mining {
    /// A block per transaction (our `--dev.block-time 0`, anvil's automine).
    PerTransaction,
    /// A block every so many seconds.
    Interval(u64),
}

/// What to start.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub(crate) ours: PathBuf,
    pub(crate) anvil: PathBuf,
    pub(crate) gas_limit: u64,
    /// Resident memory past which the watchdog kills a node, in KiB.
    pub(crate) memory_cap_kib: u64,
}

/// A running node.
pub(crate) struct Node {
    pub(crate) name: &'static str,
    pub(crate) addr: SocketAddr,
    child: Child,
    peak_kib: Arc<AtomicU64>,
    killed: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    watchdog: Option<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Node {
    /// Our node on a fresh data directory.
    pub(crate) fn ours(launch: &Launch, mining: Mining) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
        let port = free_port().map_err(|err| err.to_string())?;
        let block_time = match mining {
            Mining::PerTransaction => 0,
            Mining::Interval(seconds) => seconds,
        };
        let mut command = Command::new(&launch.ours);
        command
            .args(["node", "--dev", "--datadir"])
            .arg(dir.path().join("data"))
            .args(["--http.port", &port.to_string()])
            .args(["--ws.port", &free_port().map_err(|e| e.to_string())?.to_string()])
            .args(["--authrpc.port", &free_port().map_err(|e| e.to_string())?.to_string()])
            .args(["--dev.block-time", &block_time.to_string()])
            .args(["--builder.gaslimit", &launch.gas_limit.to_string()])
            .args(["--rpc.max-connections", "1000"]);
        Self::spawn("ours", command, port, launch, Some(dir))
    }

    /// anvil with the same accounts, chain id and gas limit.
    pub(crate) fn anvil(launch: &Launch, mining: Mining) -> Result<Self, String> {
        let port = free_port().map_err(|err| err.to_string())?;
        let mut command = Command::new(&launch.anvil);
        command
            .args(["--port", &port.to_string()])
            .args(["--chain-id", &CHAIN_ID.to_string()])
            .args(["--gas-limit", &launch.gas_limit.to_string()])
            .args(["--mnemonic", MNEMONIC])
            .args(["--accounts", "20", "--balance", "10000"]);
        if let Mining::Interval(seconds) = mining {
            command.args(["--block-time", &seconds.to_string()]);
        }
        Self::spawn("anvil", command, port, launch, None)
    }

    fn spawn(
        name: &'static str,
        mut command: Command,
        port: u16,
        launch: &Launch,
        dir: Option<tempfile::TempDir>,
    ) -> Result<Self, String> {
        let child =
            command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|err| {
                format!("{name}: cannot start {:?}: {err}", command.get_program())
            })?;
        let (peak_kib, killed, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let watchdog = {
            let (peak_kib, killed, stop) = (peak_kib.clone(), killed.clone(), stop.clone());
            let (pid, cap) = (child.id(), launch.memory_cap_kib);
            std::thread::spawn(move || watch_memory(pid, cap, &peak_kib, &killed, &stop))
        };
        let mut node = Self {
            name,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            peak_kib,
            killed,
            stop,
            watchdog: Some(watchdog),
            _dir: dir,
        };
        node.wait_ready()?;
        Ok(node)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited at start with {status}", self.name));
            }
            if let Ok(mut connection) = Connection::open(self.addr)
                && connection.call("eth_chainId", json!([])) == Ok(json!(format!("{CHAIN_ID:#x}")))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{} served no RPC within 60 s", self.name));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn connect(&self) -> Result<Connection, String> {
        Connection::open(self.addr).map_err(|err| format!("{}: {err}", self.name))
    }

    /// Peak resident memory so far, in KiB.
    pub(crate) fn peak_kib(&self) -> u64 {
        self.peak_kib.load(Ordering::Relaxed)
    }

    /// Whether the watchdog stopped it.
    pub(crate) fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

/// A field of `/proc/<pid>/status`, in KiB.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// Samples the process's memory every 100 ms; past `cap_kib` resident, kills it.
fn watch_memory(pid: u32, cap_kib: u64, peak: &AtomicU64, killed: &AtomicBool, stop: &AtomicBool) {
    let path = Path::new("/proc").join(pid.to_string()).join("status");
    while !stop.load(Ordering::Relaxed) {
        let Ok(status) = std::fs::read_to_string(&path) else { return };
        // VmHWM is the kernel's own peak of resident memory.
        if let Some(high_water) = status_kib(&status, "VmHWM:") {
            peak.fetch_max(high_water, Ordering::Relaxed);
        }
        if status_kib(&status, "VmRSS:").is_some_and(|rss| rss > cap_kib) {
            killed.store(true, Ordering::Relaxed);
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
