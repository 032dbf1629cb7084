//! Configuration: the dev preset, precedence and the refusals that name the setting.

use std::path::PathBuf;

use super::*;

fn args() -> ServeArgs {
    ServeArgs::default()
}

#[test]
fn dev_puts_everything_under_the_data_dir() {
    let config = ServeArgs {
        dev: true,
        data_dir: Some("d".into()),
        ..args()
    }
    .resolve(None)
    .unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert!(config.store.main_url.contains("d/supportgate.db"));
    assert!(config.store.contact_url.contains("d/contacts.db"));
    assert_eq!(
        config.tls,
        TlsSource::Dev {
            dir: PathBuf::from("d/tls")
        }
    );
    assert_eq!(
        config.master_key,
        MasterKeySource::File {
            path: "d/master.key".into(),
            create: true
        }
    );
    assert_eq!(
        config.admin_token_file,
        Some(PathBuf::from("d/admin.token"))
    );
}

#[test]
fn outside_dev_tls_and_keys_are_required_and_never_invented() {
    let base = ServeArgs {
        data_dir: Some("d".into()),
        ..args()
    };
    let err = base.clone().resolve(None).unwrap_err().to_string();
    assert!(err.contains("--tls-cert"), "{err}");
    let with_tls = ServeArgs {
        tls_cert: Some("c".into()),
        tls_key: Some("k".into()),
        ..base
    };
    let err = with_tls.clone().resolve(None).unwrap_err().to_string();
    assert!(err.contains("--master-key-file"), "{err}");
    let err = with_tls
        .clone()
        .resolve(Some("a2V5".into()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--signing-key-file"), "{err}");
    let ok = ServeArgs {
        signing_key_file: Some("s".into()),
        ..with_tls
    }
    .resolve(Some("a2V5".into()))
    .unwrap();
    assert!(matches!(ok.master_key, MasterKeySource::Env(_)));
    assert_eq!(
        ok.admin_token_file, None,
        "no bootstrap credential unless asked for"
    );
}

#[test]
fn the_two_stores_must_be_different_databases() {
    let same = ServeArgs {
        dev: true,
        database_url: Some("postgres://h/db".into()),
        contact_database_url: Some("postgres://h/db".into()),
        ..args()
    };
    let err = same.resolve(None).unwrap_err().to_string();
    assert!(err.contains("contact data is stored apart"), "{err}");
}

#[test]
fn a_bad_database_url_is_refused_without_echoing_it() {
    let bad = ServeArgs {
        dev: true,
        database_url: Some("mysql://u:secret@h/db".into()),
        ..args()
    };
    let err = bad.resolve(None).unwrap_err().to_string();
    assert!(
        err.contains("--database-url") && !err.contains("secret"),
        "{err}"
    );
}

#[test]
fn flags_win_over_the_file_and_unknown_file_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sg.toml");
    std::fs::write(
        &file,
        "dev = true\nlisten = \"127.0.0.1:9000\"\nmax_message_bytes = 2048\n",
    )
    .unwrap();
    let from_file = ServeArgs {
        config: Some(file.clone()),
        ..args()
    }
    .resolve(None)
    .unwrap();
    assert!(from_file.dev);
    assert_eq!(from_file.listen.port(), 9000);
    assert_eq!(from_file.limits.max_message_bytes, 2048);
    let flag = ServeArgs {
        config: Some(file.clone()),
        listen: Some("127.0.0.1:9100".into()),
        ..args()
    };
    assert_eq!(flag.resolve(None).unwrap().listen.port(), 9100);

    std::fs::write(&file, "dev = true\nlisten_adress = \"x\"\n").unwrap();
    let err = ServeArgs {
        config: Some(file),
        ..args()
    }
    .resolve(None)
    .unwrap_err()
    .to_string();
    assert!(err.contains("listen_adress"), "{err}");
}

#[test]
fn a_listen_address_must_be_ip_and_port() {
    let err = ServeArgs {
        dev: true,
        listen: Some("localhost".into()),
        ..args()
    }
    .resolve(None)
    .unwrap_err();
    assert!(err.to_string().contains("--listen"), "{err}");
}

#[test]
fn metrics_are_off_unless_an_address_is_given_and_that_address_is_checked() {
    let dev = || ServeArgs {
        dev: true,
        ..args()
    };
    assert_eq!(dev().resolve(None).unwrap().metrics_listen, None);
    let on = ServeArgs {
        metrics_listen: Some("127.0.0.1:9464".into()),
        ..dev()
    }
    .resolve(None)
    .unwrap();
    assert_eq!(on.metrics_listen.map(|a| a.port()), Some(9464));
    let err = ServeArgs {
        metrics_listen: Some("metrics.local".into()),
        ..dev()
    }
    .resolve(None)
    .unwrap_err();
    assert!(err.to_string().contains("--metrics-listen"), "{err}");
    let from_file = resolve_file("metrics_listen = \"127.0.0.1:9465\"").unwrap();
    assert_eq!(from_file.metrics_listen.map(|a| a.port()), Some(9465));
}

/// Resolves a `--dev` configuration whose file holds `toml`.
fn resolve_file(toml: &str) -> Result<ServeConfig, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sg.toml");
    std::fs::write(&file, format!("dev = true\n{toml}\n")).unwrap();
    ServeArgs {
        config: Some(file),
        ..args()
    }
    .resolve(None)
}

#[test]
fn upload_ttl_hours_is_bounded_to_one_year_instead_of_overflowing() {
    for hours in ["8761", "9223372036854775807"] {
        let err = resolve_file(&format!("upload_ttl_hours = {hours}")).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    setting: "upload_ttl_hours",
                    ..
                }
            ),
            "{hours}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "upload_ttl_hours must be at most 8760 (one year)",
            "{hours}"
        );
    }
    let err = resolve_file("upload_ttl_hours = 0")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "upload_ttl_hours must be greater than zero");
    let year = resolve_file("upload_ttl_hours = 8760").unwrap();
    assert_eq!(
        year.transfers.upload_ttl,
        std::time::Duration::from_secs(8760 * 3600)
    );
}
