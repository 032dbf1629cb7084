//! Unit tests of `troubleshoot`: the collectors on this machine, log tails, names
//! inside the archive, the archive read back, and the confirmation rules.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use flate2::read::GzDecoder;

use super::bundle::{self, sanitize};
use super::command::{self, Outcome, MAX_OUTPUT};
use super::item::{human, Content, Item};
use super::logs::{self, parse_size};
use super::{ask, ensure_can_ask, resumable, summary, system, TroubleshootArgs};
use crate::cli::error::CliError;

const WORKSPACE: &str = "6f1c7a8e-9b52-4d0e-8c3f-2a4b5c6d7e8f";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

/// Every entry of a `.tar.gz`: name and content.
fn read_back(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(GzDecoder::new(std::fs::File::open(path).unwrap()));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (name, content)
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Bytes 0..n, recognisable at any offset.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn the_system_collectors_return_every_item_on_this_linux_machine() {
    let items = system::collect().await;
    let names: Vec<&str> = items.iter().map(|item| item.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "system/os-release.txt",
            "system/kernel.txt",
            "system/cpu.txt",
            "system/memory.txt",
            "system/disks.txt",
            "system/network.txt",
            "system/packages.txt",
        ]
    );
    let text = |name: &str| {
        let item = items.iter().find(|item| item.name == name).unwrap();
        String::from_utf8(item.in_memory().unwrap().to_vec()).unwrap()
    };
    assert!(text("system/os-release.txt").contains("ID="));
    assert!(text("system/kernel.txt").contains("ostype: Linux"));
    let cpu = text("system/cpu.txt");
    let count: usize = cpu
        .lines()
        .find_map(|line| line.strip_prefix("logical CPUs: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(count >= 1, "{cpu}");
    assert!(text("system/memory.txt").starts_with("MemTotal: "));
    assert!(
        text("system/disks.txt").contains("Mounted on") || text("system/disks.txt").contains(" / ")
    );
    assert!(
        text("system/network.txt").contains("\nlo "),
        "{}",
        text("system/network.txt")
    );
    assert!(!text("system/packages.txt").is_empty());
    for item in &items {
        assert!(
            item.size() < MAX_OUTPUT + 1024 * 1024,
            "{} is bounded",
            item.name
        );
    }
}

#[test]
fn the_host_name_is_known() {
    assert!(!system::hostname().is_empty());
}

#[test]
fn cpu_model_and_count_are_read_from_cpuinfo() {
    let x86 = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 2.0GHz\n";
    let summary = system::cpu_summary(x86, 2);
    assert!(
        summary.contains("model: Example CPU @ 2.0GHz\n"),
        "{summary}"
    );
    assert!(summary.contains("logical CPUs: 2\n"), "{summary}");
    let arm = "processor : 0\nBogoMIPS : 50.00\nprocessor : 1\nHardware : Example SoC\n";
    assert!(system::cpu_summary(arm, 2).contains("model: Example SoC\n"));
    assert!(system::cpu_summary("", 1).contains("model: unknown\nlogical CPUs: 0\n"));
}

#[test]
fn memory_totals_are_read_from_meminfo() {
    let meminfo = "MemTotal:       16318408 kB\nMemFree:   1 kB\nMemAvailable:    8159204 kB\nSwapTotal: 0 kB\n";
    assert_eq!(
        system::memory_summary(meminfo),
        "MemTotal: 16318408 kB\nMemAvailable: 8159204 kB\nSwapTotal: 0 kB\n"
    );
}

#[tokio::test]
async fn a_missing_tool_is_reported_as_missing_not_as_an_error() {
    let outcome = command::run("supportgate-no-such-tool", &["--version"]).await;
    assert!(matches!(outcome, Outcome::Missing));
    assert_eq!(
        outcome.why("supportgate-no-such-tool"),
        "supportgate-no-such-tool is not installed"
    );
}

#[tokio::test]
async fn a_tool_that_never_stops_writing_is_cut_and_stopped() {
    let outcome = command::run("yes", &[]).await;
    let Outcome::Ran { stdout, cut, .. } = outcome else {
        eprintln!("skipped: no `yes` here");
        return;
    };
    assert!(cut);
    assert_eq!(stdout.len() as u64, MAX_OUTPUT);
}

#[tokio::test]
async fn arguments_reach_the_tool_verbatim_without_a_shell() {
    let hostile = "$(touch /tmp/supportgate-pwned); `id` > x; *";
    let outcome = command::run("echo", &[hostile]).await;
    let (out, cut) = outcome.success().unwrap();
    assert_eq!(out, format!("{hostile}\n"));
    assert!(cut.is_none());
}

#[test]
fn a_log_larger_than_the_cap_is_cut_to_its_tail_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pattern(3000);
    let log = write_file(dir.path(), "big.log", &bytes);
    let mut items = logs::collect(std::slice::from_ref(&log), 1000).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].size(), 1000);
    assert!(
        items[0].notes[0].contains("cut to its last"),
        "{:?}",
        items[0].notes
    );
    assert!(
        items[0].notes[0].contains("1000 of 3000 bytes"),
        "{:?}",
        items[0].notes
    );

    let out = dir.path().join("b.tar.gz");
    bundle::write(&out, &mut items, "h", at()).unwrap();
    let entries = read_back(&out);
    let (name, content) = &entries[0];
    assert_eq!(*name, items[0].name);
    assert_eq!(content.as_slice(), &bytes[2000..]);
}

#[test]
fn a_log_within_the_cap_is_kept_whole_without_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "small.log", b"one\ntwo\n");
    let items = logs::collect(&[log], 1000).unwrap();
    assert_eq!(items[0].size(), 8);
    assert!(items[0].notes.is_empty());
}

#[test]
fn a_missing_log_file_becomes_a_noted_item_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.log");
    let items = logs::collect(&[missing], 1000).unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0].name.starts_with("logs/") && items[0].name.ends_with("gone.log.unreadable.txt")
    );
    assert!(
        items[0].notes[0].contains("cannot read"),
        "{:?}",
        items[0].notes
    );
    assert!(
        items[0].notes[0].contains("No such file"),
        "{:?}",
        items[0].notes
    );
    let text = String::from_utf8(items[0].in_memory().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("# not collected: cannot read"));
}

#[cfg(unix)]
#[test]
fn an_unreadable_log_file_becomes_a_noted_item_not_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "secret.log", b"x");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&log).is_ok() {
        eprintln!("skipped: running as root, every file is readable");
        return;
    }
    let items = logs::collect(&[log], 1000).unwrap();
    assert!(items[0].name.ends_with(".unreadable.txt"));
    assert!(
        items[0].notes[0].contains("Permission denied"),
        "{:?}",
        items[0].notes
    );
}

#[test]
fn a_directory_named_as_a_log_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = logs::collect(&[dir.path().to_path_buf()], 1000).unwrap_err();
    assert!(
        matches!(&err, CliError::Usage(m) if m.contains("is a directory")),
        "{err}"
    );
    assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
}

#[test]
fn archive_entry_names_are_sanitised() {
    let cases = [
        ("../../etc/passwd", "etc_passwd"),
        ("/var/log/syslog", "var_log_syslog"),
        ("app.log", "app.log"),
        ("./x/../../y.log", "x_y.log"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("...hidden", "hidden"),
        ("a..b", "a.b"),
        ("C:\\logs\\app.log", "C__logs_app.log"),
        ("we ird;$(rm -rf ~)\n.log", "we_ird___rm_-rf____.log"),
        ("journal-é.log", "journal-_.log"),
    ];
    for (raw, safe) in cases {
        assert_eq!(sanitize(raw), safe, "{raw:?}");
    }
    let long = "x".repeat(500);
    assert_eq!(sanitize(&long).len(), 100);
}

#[test]
fn two_logs_with_the_same_sanitised_name_get_distinct_entries() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_file(dir.path(), "a b.log", b"1");
    let b = write_file(dir.path(), "a_b.log", b"2");
    let items = logs::collect(&[a, b], 1000).unwrap();
    assert_ne!(items[0].name, items[1].name);
    assert!(items[1].name.ends_with("a_b.log-2"), "{}", items[1].name);
}

#[test]
fn the_bundle_name_carries_the_host_and_a_utc_timestamp() {
    assert_eq!(
        bundle::file_name("web-01.example", at()),
        "troubleshoot-web-01.example-20240501T120000Z.tar.gz"
    );
    assert_eq!(
        bundle::file_name("../evil host", at()),
        "troubleshoot-evil_host-20240501T120000Z.tar.gz"
    );
}

#[test]
fn the_tarball_lists_the_expected_entries_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "app.log", b"started\nfailed\n");
    let mut items = vec![
        Item::text(
            "system/os-release.txt",
            "/etc/os-release",
            "ID=test\n".to_owned(),
        ),
        Item::missing(
            "system/packages.txt",
            "dpkg-query",
            "no package manager".to_owned(),
        ),
    ];
    items.extend(logs::collect(&[log.clone(), dir.path().join("nope.log")], 1000).unwrap());
    let log_name = format!("logs/{}", sanitize(&log.to_string_lossy()));
    let out = dir.path().join(bundle::file_name("h", at()));
    let (size, late) = bundle::write(&out, &mut items, "h", at()).unwrap();
    assert!(late.is_empty());
    assert_eq!(size, std::fs::metadata(&out).unwrap().len());

    let entries = read_back(&out);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    let unreadable = format!(
        "logs/{}.unreadable.txt",
        sanitize(&dir.path().join("nope.log").to_string_lossy())
    );
    assert_eq!(
        names,
        [
            "system/os-release.txt",
            "system/packages.txt",
            log_name.as_str(),
            unreadable.as_str(),
            "manifest.json"
        ]
    );
    assert_eq!(entries[0].1, b"ID=test\n");
    assert_eq!(entries[2].1, b"started\nfailed\n");
    let manifest: serde_json::Value = serde_json::from_slice(&entries[4].1).unwrap();
    assert_eq!(manifest["host"], "h");
    assert_eq!(manifest["created_at"], "2024-05-01T12:00:00Z");
    assert_eq!(manifest["items"].as_array().unwrap().len(), 4);
    assert_eq!(manifest["items"][1]["notes"][0], "no package manager");
    assert_eq!(manifest["items"][2]["size"], 15);

    // The system's own tar reads it too, when there is one.
    if let Ok(listing) = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&out)
        .output()
    {
        let listed = String::from_utf8(listing.stdout).unwrap();
        assert_eq!(listed.lines().collect::<Vec<_>>(), names);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the bundle is private to its owner");
    }
}

#[test]
fn an_existing_bundle_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = write_file(dir.path(), "x.tar.gz", b"keep me");
    let mut items = vec![Item::text("system/a.txt", "a", "a".to_owned())];
    assert!(bundle::write(&out, &mut items, "h", at()).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
}

#[test]
fn a_log_that_shrinks_before_bundling_is_padded_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "rotating.log", &pattern(2000));
    let mut items = logs::collect(std::slice::from_ref(&log), 10_000).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(500)
        .unwrap();
    let out = dir.path().join("b.tar.gz");
    let (_, late) = bundle::write(&out, &mut items, "h", at()).unwrap();
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("shrank"), "{late:?}");
    let entries = read_back(&out);
    assert_eq!(entries[0].1.len(), 2000);
    assert_eq!(&entries[0].1[..500], &pattern(500)[..]);
    assert!(entries[0].1[500..].iter().all(|b| *b == 0));
    let manifest: serde_json::Value = serde_json::from_slice(&entries[1].1).unwrap();
    assert!(manifest["items"][0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("shrank"));
}

#[test]
fn a_log_tail_is_streamed_from_the_open_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "a.log", b"0123456789");
    let items = logs::collect(&[log], 4).unwrap();
    assert!(matches!(
        items[0].content,
        Content::Tail {
            offset: 6,
            len: 4,
            ..
        }
    ));
    assert!(items[0].in_memory().is_none());
}

#[test]
fn without_yes_and_without_a_terminal_the_upload_is_refused_as_a_usage_error() {
    let err = ensure_can_ask(false, false).unwrap_err();
    assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
    assert!(err.to_string().contains("--yes"), "{err}");
    assert!(err.to_string().contains("not a terminal"), "{err}");
    assert!(ensure_can_ask(true, false).is_ok());
    assert!(ensure_can_ask(false, true).is_ok());
}

#[test]
fn only_yes_agrees_to_upload() {
    for (answer, agreed) in [
        ("y\n", true),
        ("YES\n", true),
        (" yes \n", true),
        ("\n", false),
        ("", false),
        ("n\n", false),
        ("yep\n", false),
    ] {
        let mut prompt = Vec::new();
        let said = ask(
            "Upload 10 bytes in 2 items to workspace W?",
            &mut answer.as_bytes(),
            &mut prompt,
        )
        .unwrap();
        assert_eq!(said, agreed, "{answer:?}");
        assert_eq!(
            String::from_utf8(prompt).unwrap(),
            "Upload 10 bytes in 2 items to workspace W? [y/N] "
        );
    }
}

#[test]
fn the_summary_lists_each_item_its_size_and_first_lines() {
    let items = vec![
        Item::text(
            "system/os-release.txt",
            "/etc/os-release",
            "NAME=\"Test\"\nID=test\n\nVERSION_ID=1\nHOME_URL=x\n".to_owned(),
        ),
        Item::missing(
            "system/packages.txt",
            "dpkg-query",
            "no package manager".to_owned(),
        ),
    ];
    let text = summary::render(&items);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("item"), "{text}");
    assert!(
        lines[1].starts_with("system/os-release.txt") && lines[1].contains("45 B"),
        "{text}"
    );
    assert!(lines[2].ends_with("| NAME=\"Test\""), "{text}");
    assert!(lines[3].ends_with("| ID=test"), "{text}");
    assert!(lines[4].ends_with("| VERSION_ID=1"), "{text}");
    assert!(lines[5].ends_with("| … 1 more line"), "{text}");
    assert!(lines[6].contains("(no package manager)"), "{text}");
    assert!(text.lines().last().unwrap().starts_with("total"), "{text}");
    assert!(text.contains("2 items"), "{text}");
}

#[test]
fn sizes_are_parsed_in_binary_units() {
    assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
    assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
    assert_eq!(parse_size("1g"), Ok(1 << 30));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert!(parse_size("0").is_err());
    assert!(parse_size("ten").is_err());
    assert!(parse_size("5 parsecs").is_err());
    assert!(parse_size("99999999999999GiB").is_err());
    assert_eq!(human(512), "512 B");
    assert_eq!(human(10 * 1024 * 1024), "10.0 MiB");
}

#[derive(Debug, Parser)]
struct TestCli {
    #[command(flatten)]
    args: TroubleshootArgs,
}

#[test]
fn the_arguments_parse_with_repeated_logs_and_a_ten_mib_default() {
    let cli = TestCli::try_parse_from([
        "troubleshoot",
        "--workspace",
        WORKSPACE,
        "--log",
        "/var/log/a",
        "--log",
        "b.log",
        "--yes",
        "--keep",
        "out.tar.gz",
    ])
    .unwrap();
    assert_eq!(cli.args.workspace, WORKSPACE);
    assert_eq!(
        cli.args.logs,
        [PathBuf::from("/var/log/a"), PathBuf::from("b.log")]
    );
    assert!(cli.args.yes);
    assert_eq!(cli.args.keep, Some(PathBuf::from("out.tar.gz")));
    assert_eq!(cli.args.max_log_size, 10 * 1024 * 1024);
    assert!(TestCli::try_parse_from(["troubleshoot", "--workspace", "nope"]).is_err());
}

#[test]
fn a_broken_upload_keeps_the_bundle_for_resuming_but_a_refusal_does_not() {
    assert!(resumable(&CliError::Rpc(tonic::Status::unavailable(
        "gone"
    ))));
    assert!(resumable(&CliError::failed("cannot read")));
    assert!(!resumable(&CliError::Rpc(tonic::Status::not_found(
        "workspace not found"
    ))));
    assert!(!resumable(&CliError::Rpc(
        tonic::Status::permission_denied("no")
    )));
    assert!(!resumable(&CliError::Rpc(
        tonic::Status::resource_exhausted("quota")
    )));
}
