//! The log files the user names with `--log`: each opened now (so a file that cannot
//! be read is reported before anything is sent), and only its last `cap` bytes kept.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::bundle::sanitize;
use super::item::{human, Content, Item};
use crate::cli::error::CliError;

/// One item per named file, in the order given.
///
/// A file that is missing or unreadable becomes an item saying so (the rest of the
/// bundle is still worth sending); a directory or another non-regular file (a FIFO
/// would block, a device never ends) is a usage error, found before any work.
pub fn collect(paths: &[PathBuf], cap: u64) -> Result<Vec<Item>, CliError> {
    for path in paths {
        refuse_non_regular(path)?;
    }
    let mut taken = HashSet::new();
    let mut items = Vec::new();
    for path in paths {
        let name = unique(&mut taken, &sanitize(&path.to_string_lossy()));
        items.push(one(path, &name, cap));
    }
    Ok(items)
}

fn refuse_non_regular(path: &Path) -> Result<(), CliError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(CliError::usage(format!(
            "--log {} is a directory: name the log files in it, e.g. --log {}",
            path.display(),
            path.join("FILE").display()
        ))),
        Ok(meta) if !meta.is_file() => Err(CliError::usage(format!(
            "--log {} is not a regular file",
            path.display()
        ))),
        // Missing or unreadable: reported as an item by `one`.
        _ => Ok(()),
    }
}

/// `logs/NAME`, made unique by a `-2`, `-3`, … suffix when two paths sanitise alike.
fn unique(taken: &mut HashSet<String>, base: &str) -> String {
    let mut name = format!("logs/{base}");
    let mut n = 1;
    while !taken.insert(name.clone()) {
        n += 1;
        name = format!("logs/{base}-{n}");
    }
    name
}

fn one(path: &Path, name: &str, cap: u64) -> Item {
    let source = path.display().to_string();
    let unreadable = |e: std::io::Error| {
        Item::missing(
            &format!("{name}.unreadable.txt"),
            &source,
            format!("cannot read {source}: {e}"),
        )
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return unreadable(e),
    };
    let len = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(e),
    };
    let offset = len.saturating_sub(cap);
    let item = Item {
        name: name.to_owned(),
        source: source.clone(),
        content: Content::Tail {
            file,
            offset,
            len: len - offset,
        },
        notes: Vec::new(),
    };
    if offset == 0 {
        return item;
    }
    item.note(format!(
        "cut to its last {} of {} ({} of {len} bytes)",
        human(len - offset),
        human(len),
        len - offset,
    ))
}

/// Parses a size such as `10MiB`, `512KiB`, `1G` or `4096` (binary units; `B` optional).
pub fn parse_size(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let digits = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{value}' is not a size; e.g. 10MiB, 512KiB or 4096"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{value}': unknown unit; use KiB, MiB or GiB")),
    };
    match number.checked_mul(factor) {
        Some(0) => Err("the size must be at least 1 byte".to_owned()),
        Some(size) => Ok(size),
        None => Err(format!("'{value}' is too large")),
    }
}
