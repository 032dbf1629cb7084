//! System information, collected without root and without the network: what any
//! user can read under `/etc`, `/proc` and `/sys`, and what `uname`, `df`, `ip` and
//! the package manager print. A missing file or tool becomes a note, never an error.

use std::io::Read;
use std::path::Path;

use super::command::{self, Outcome};
use super::item::Item;

/// Files under `/proc` and `/etc` read here are small; this bounds a strange one.
const MAX_FILE: u64 = 1024 * 1024;

/// Every system item, in the order the summary and the archive list them.
pub async fn collect() -> Vec<Item> {
    vec![
        os_release(),
        kernel().await,
        cpu(),
        memory(),
        disks().await,
        network().await,
        packages().await,
    ]
}

/// The machine's host name, for the bundle's file name (`host` when unknown).
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| read_small(Path::new(path)).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// Reads a text file of at most [`MAX_FILE`] bytes (the rest is ignored).
pub fn read_small(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn os_release() -> Item {
    const NAME: &str = "system/os-release.txt";
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        match read_small(Path::new(path)) {
            Ok(text) => return Item::text(NAME, path, text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Item::missing(NAME, path, format!("cannot read {path}: {e}")),
        }
    }
    Item::missing(
        NAME,
        "/etc/os-release",
        "neither /etc/os-release nor /usr/lib/os-release exists".to_owned(),
    )
}

async fn kernel() -> Item {
    let mut text = String::new();
    for key in ["ostype", "osrelease", "version"] {
        if let Ok(value) = read_small(&Path::new("/proc/sys/kernel").join(key)) {
            text.push_str(&format!("{key}: {}\n", value.trim()));
        }
    }
    let uname = command::run("uname", &["-a"]).await;
    let mut item = match uname.success() {
        Some((out, _)) => {
            text.push_str(&format!("uname -a: {}\n", out.trim()));
            Item::text("system/kernel.txt", "/proc/sys/kernel, uname -a", text)
        }
        None => Item::text("system/kernel.txt", "/proc/sys/kernel", text).note(uname.why("uname")),
    };
    if item.size() == 0 {
        item = Item::missing(
            "system/kernel.txt",
            "/proc/sys/kernel",
            "neither /proc/sys/kernel nor uname is available".to_owned(),
        );
    }
    item
}

fn cpu() -> Item {
    let available = std::thread::available_parallelism().map_or(0, |n| n.get());
    match read_small(Path::new("/proc/cpuinfo")) {
        Ok(cpuinfo) => Item::text(
            "system/cpu.txt",
            "/proc/cpuinfo",
            cpu_summary(&cpuinfo, available),
        ),
        Err(e) => Item::missing(
            "system/cpu.txt",
            "/proc/cpuinfo",
            format!("cannot read /proc/cpuinfo: {e}; {available} CPUs available to this process"),
        ),
    }
}

/// Model and count of the CPUs described by `/proc/cpuinfo`.
pub fn cpu_summary(cpuinfo: &str, available: usize) -> String {
    let field = |line: &str| {
        line.split_once(':')
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
    };
    let fields: Vec<(String, String)> = cpuinfo.lines().filter_map(field).collect();
    let count = fields.iter().filter(|(key, _)| key == "processor").count();
    // x86 says "model name"; ARM, RISC-V and MIPS use other keys.
    let model = [
        "model name",
        "Model",
        "Hardware",
        "cpu model",
        "uarch",
        "isa",
    ]
    .iter()
    .find_map(|wanted| fields.iter().find(|(key, _)| key == wanted))
    .map_or("unknown", |(_, value)| value.as_str());
    format!("model: {model}\nlogical CPUs: {count}\navailable to this process: {available}\n")
}

fn memory() -> Item {
    match read_small(Path::new("/proc/meminfo")) {
        Ok(meminfo) => Item::text(
            "system/memory.txt",
            "/proc/meminfo",
            memory_summary(&meminfo),
        ),
        Err(e) => Item::missing(
            "system/memory.txt",
            "/proc/meminfo",
            format!("cannot read /proc/meminfo: {e}"),
        ),
    }
}

/// The memory and swap totals of `/proc/meminfo`, as they are written there.
pub fn memory_summary(meminfo: &str) -> String {
    let wanted = ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"];
    let mut text = String::new();
    for line in meminfo.lines() {
        let key = line.split(':').next().unwrap_or("");
        if wanted.contains(&key) {
            text.push_str(&line.split_whitespace().collect::<Vec<_>>().join(" "));
            text.push('\n');
        }
    }
    text
}

async fn disks() -> Item {
    let df = command::run("df", &["-P"]).await;
    match &df {
        // df exits 1 when one mount cannot be read but still lists the others.
        Outcome::Ran { stdout, status, .. } if !stdout.is_empty() => {
            let item = Item::text(
                "system/disks.txt",
                "df -P",
                String::from_utf8_lossy(stdout).into_owned(),
            );
            if status.success() {
                item
            } else {
                item.note(df.why("df"))
            }
        }
        _ => match read_small(Path::new("/proc/mounts")) {
            Ok(mounts) => Item::text("system/disks.txt", "/proc/mounts", mounts)
                .note(format!("{}; mounts listed without sizes", df.why("df"))),
            Err(e) => Item::missing(
                "system/disks.txt",
                "df -P",
                format!("{}; cannot read /proc/mounts: {e}", df.why("df")),
            ),
        },
    }
}

async fn network() -> Item {
    let mut text = String::from("# /sys/class/net: name, MAC address, state, MTU\n");
    text.push_str(&interfaces(Path::new("/sys/class/net")));
    let (program, ip) =
        command::run_first(&["ip", "/usr/sbin/ip", "/sbin/ip"], &["-brief", "addr"]).await;
    match ip.success() {
        Some((out, _)) => {
            text.push_str("\n# ip -brief addr\n");
            text.push_str(&out);
            Item::text("system/network.txt", "/sys/class/net, ip -brief addr", text)
        }
        None => Item::text("system/network.txt", "/sys/class/net", text)
            .note(format!("{}; addresses not listed", ip.why(&program))),
    }
}

/// One line per network interface under `dir` (`/sys/class/net`), sorted by name.
pub fn interfaces(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut text = String::new();
    for name in names {
        let attribute = |key: &str| {
            read_small(&dir.join(&name).join(key))
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|_| "-".to_owned())
        };
        text.push_str(&format!(
            "{name} {} {} mtu {}\n",
            attribute("address"),
            attribute("operstate"),
            attribute("mtu")
        ));
    }
    text
}

/// Package managers tried in turn: the first one present lists what is installed.
const MANAGERS: [(&str, &[&str]); 3] = [
    ("dpkg-query", &["-W", "-f", "${Package} ${Version}\\n"]),
    ("rpm", &["-qa"]),
    ("apk", &["info", "-v"]),
];

async fn packages() -> Item {
    // Why each manager gave nothing; a missing one is only worth saying when none works.
    let mut failed = Vec::new();
    let mut missing = Vec::new();
    for (program, args) in MANAGERS {
        let outcome = command::run(program, args).await;
        if let Some((out, cut)) = outcome.success() {
            let shown = std::iter::once(program)
                .chain(args.iter().copied())
                .map(|word| {
                    if word.contains(' ') {
                        format!("'{word}'")
                    } else {
                        word.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let mut item = Item::text("system/packages.txt", &shown, out);
            item.notes.extend(failed);
            item.notes.extend(cut);
            return item;
        }
        match outcome {
            Outcome::Missing => missing.push(outcome.why(program)),
            _ => failed.push(outcome.why(program)),
        }
    }
    let mut item = Item::missing(
        "system/packages.txt",
        "dpkg-query, rpm, apk",
        "no package manager listed the installed packages".to_owned(),
    );
    item.notes.extend(failed);
    item.notes.extend(missing);
    item
}
