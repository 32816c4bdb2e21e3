//! Default locations.

use std::path::PathBuf;

/// The default data directory for a chain: `$XDG_DATA_HOME/phala-node/<chain>`, or
/// `~/.local/share/phala-node/<chain>`, or `./phala-node-data/<chain>` without a home directory.
pub fn default_datadir(chain: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        });
    match base {
        Some(base) => base.join("phala-node").join(chain_dir_name(chain)),
        None => PathBuf::from("phala-node-data").join(chain_dir_name(chain)),
    }
}

/// A directory name for a chain given by name or by genesis file path.
fn chain_dir_name(chain: &str) -> String {
    let path = std::path::Path::new(chain);
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| chain.to_string())
}
