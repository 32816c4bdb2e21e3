//! Output files of the export commands, written whole or not at all.

use crate::NodeError;
use std::{
    ffi::OsString,
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

/// Writes `path` through `write`: into `<path>.partial` first, renamed to `path` once `write`
/// succeeded, and removed if it failed, so an interrupted export never leaves a truncated file
/// that looks complete.
pub(crate) fn write_file_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, NodeError>,
) -> Result<T, NodeError> {
    let partial = partial_path(path);
    let write_error = |source| NodeError::Write { path: path.to_path_buf(), source };
    let file = File::create(&partial).map_err(write_error)?;
    let mut out = BufWriter::new(file);
    let result = write(&mut out).and_then(|value| {
        out.flush().map_err(write_error)?;
        std::fs::rename(&partial, path).map_err(write_error)?;
        Ok(value)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".partial");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.rlp");
        let error = write_file_atomically(&path, |out| -> Result<(), NodeError> {
            out.write_all(b"half").unwrap();
            Err(NodeError::Flag { flag: "--to", message: "stop".into() })
        })
        .unwrap_err();
        assert!(error.to_string().starts_with("--to"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_file_atomically(&path, |out| {
            out.write_all(b"whole")
                .map_err(|source| NodeError::Write { path: path.clone(), source })
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert!(!partial_path(&path).exists());
    }
}
