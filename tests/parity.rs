//! What wait4x users expect (issue 30): --invert on every kind of check,
//! exec's --expect-exit, and `install DIR` for images without cp. The wait
//! parts (no deadline, backoff, --invert with wait) are in tests/wait.rs.

mod common;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;

/// A fresh empty directory.
fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn invert_turns_the_plain_verdict_over_on_every_kind() {
    // The oracle is the plain check on the same target: --invert must say
    // the opposite, with the plain reason in its line.
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let ok = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let down = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown",
    );
    let busy = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
    );
    let heartbeat = temp_dir("hp-invert-").join("beat");
    std::fs::write(&heartbeat, "alive").unwrap();
    let beat = heartbeat.to_string_lossy().into_owned();
    let targets: Vec<Vec<String>> = vec![
        vec![format!("tcp://127.0.0.1:{}", closed_port())],
        vec![format!("tcp://{}", open.local_addr().unwrap())],
        vec![ok.url("/")],
        vec![down.url("/")],
        vec![busy.url("/")],
        vec!["file".into(), beat.clone()],
        vec!["file".into(), format!("{beat}.gone")],
        vec!["exec".into(), "--".into(), "true".into()],
        vec!["exec".into(), "--".into(), "false".into()],
    ];
    for target in &targets {
        let args: Vec<&str> = target.iter().map(String::as_str).collect();
        let plain = probe(&args);
        let mut inverted_args = vec!["--invert"];
        inverted_args.extend(&args);
        let inverted = probe(&inverted_args);
        inverted.one_line();
        assert_ne!(plain.code, 2, "{plain:?}");
        assert_eq!(inverted.code, 1 - plain.code, "{plain:?}\n{inverted:?}");
        match plain.code {
            0 => inverted
                .says("unhealthy: ")
                .says("up, but --invert asks for down: "),
            _ => inverted.says("healthy: ").says("down, as --invert asks: "),
        };
        // The variable means the same.
        let from_env = probe_env(&args, &[("HEALTHPROBE_INVERT", "true")]);
        assert_eq!(from_env.code, inverted.code, "{from_env:?}");
    }
}

#[test]
fn invert_with_several_targets_fails_on_each_one_that_is_up() {
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = format!("tcp://{}", open.local_addr().unwrap());
    let gone = format!("tcp://127.0.0.1:{}", closed_port());
    probe(&["--invert", &gone, &up])
        .unhealthy()
        .one_line()
        .says("1 of 2 checks failed")
        .says("up, but --invert asks for down");
    probe(&["--invert", &gone, &gone]).healthy().one_line();
}

#[test]
fn invert_does_not_make_a_check_that_could_not_run_healthy() {
    // Usage errors stay errors, and so does a program that is not there: a
    // typo must not read as "the service is gone".
    probe(&["--invert", "--timeout", "soon", "tcp://127.0.0.1:1"])
        .unhealthy()
        .says("soon");
    probe(&["--invert", "tcp://127.0.0.1:99999"])
        .unhealthy()
        .says("out of range");
    probe(&["--invert", "exec", "--", "/no/such/program"])
        .unhealthy()
        .one_line()
        .says("program not found")
        .never_says("--invert asks");
    probe_env(&["tcp://127.0.0.1:1"], &[("HEALTHPROBE_INVERT", "yes")])
        .unhealthy()
        .says("HEALTHPROBE_INVERT");
}

#[test]
fn expect_exit_lists_the_healthy_statuses() {
    let run = |list: Option<&str>, status: &str| {
        let script = format!("exit {status}");
        let mut args = vec!["exec"];
        if let Some(list) = list {
            args.extend(["--expect-exit", list]);
        }
        args.extend(["--", "sh", "-c"]);
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        args.push(script);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        probe(&args)
    };
    run(Some("0,3"), "3")
        .healthy()
        .one_line()
        .says("-> exit 3 in");
    run(Some("0,3"), "0").healthy();
    run(Some("0,3"), "2")
        .unhealthy()
        .says("exit 2, not in --expect-exit 0,3");
    run(Some("0-2"), "2").healthy();
    run(Some("0-2"), "3")
        .unhealthy()
        .says("not in --expect-exit 0-2");
    run(Some("1"), "0").unhealthy();
    // The default is 0 alone, and its line is as before.
    run(None, "3")
        .unhealthy()
        .says("-> exit 3 in")
        .never_says("expect");
    // A program killed by a signal has no exit status to list.
    probe(&[
        "exec",
        "--expect-exit",
        "0-255",
        "--",
        "sh",
        "-c",
        "kill -KILL $$",
    ])
    .unhealthy()
    .says("killed by signal 9");
    // --stdout-contains still applies after a listed status.
    probe(&[
        "exec",
        "--expect-exit",
        "3",
        "--stdout-contains",
        "ready",
        "--",
        "sh",
        "-c",
        "echo not yet; exit 3",
    ])
    .unhealthy()
    .says("exit 3, but \"ready\" not in");
    probe_env(
        &["exec", "--", "sh", "-c", "exit 4"],
        &[("HEALTHPROBE_EXPECT_EXIT", "4")],
    )
    .healthy();
}

#[test]
fn expect_exit_lists_are_read_as_status_lists() {
    for (list, says) in [
        ("256", "\"256\" is not an exit status (0 to 255)"),
        ("3-1", "range 3-1 runs backwards; write 1-3"),
        ("0,", "is not an exit status"),
        ("-1", "is not an exit status"),
        ("zero", "\"zero\" is not an exit status"),
    ] {
        probe(&["exec", &format!("--expect-exit={list}"), "--", "true"])
            .unhealthy()
            .one_line()
            .says("--expect-exit")
            .says(says);
    }
}

#[test]
fn install_copies_this_binary_and_the_copy_runs() {
    let dir = temp_dir("hp-install-");
    let to = dir.to_string_lossy().into_owned();
    // Under umask 077 too: the copy is 0755 for whichever user the app runs as.
    let r = probe_wrapped(
        &["sh", "-c", "umask 077; exec \"$@\"", "sh"],
        &["install", &to],
    );
    r.healthy().one_line().says(&format!(
        "installed {to}/healthprobe ({} bytes, mode 755)",
        std::fs::metadata(bin()).unwrap().len()
    ));
    let copy = dir.join("healthprobe");
    let meta = std::fs::metadata(&copy).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
    assert!(std::fs::read(&copy).unwrap() == std::fs::read(bin()).unwrap());
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "left a temporary file: {names:?}");

    // As in a FROM scratch image: no shell, no PATH, another directory; the
    // copy checks a port like the original.
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(&copy)
        .arg(format!("tcp://{}", open.local_addr().unwrap()))
        .env_clear()
        .current_dir("/")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("healthy: tcp"));
    // And it installs itself further, as the next init container would.
    let next = temp_dir("hp-install-next-");
    let out = Command::new(&copy)
        .arg("install")
        .arg(&next)
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(std::fs::read(next.join("healthprobe")).unwrap() == std::fs::read(bin()).unwrap());
}

#[test]
fn install_replaces_an_older_copy_whole() {
    let dir = temp_dir("hp-install-old-");
    let old = dir.join("healthprobe");
    std::fs::write(&old, "#!/bin/sh\nexit 1\n").unwrap();
    probe(&["install", &dir.to_string_lossy()]).healthy();
    assert!(std::fs::read(&old).unwrap() == std::fs::read(bin()).unwrap());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn install_errors_are_one_line() {
    let missing = std::env::temp_dir().join(unique("hp-install-missing-"));
    probe(&["install", &missing.to_string_lossy()])
        .unhealthy()
        .one_line()
        .says("install: cannot write into")
        .says("no such file or directory");
    let file = temp_dir("hp-install-file-").join("plain");
    std::fs::write(&file, "").unwrap();
    probe(&["install", &file.to_string_lossy()])
        .unhealthy()
        .one_line()
        .says("not a directory");
    // The target is a directory: the rename fails and nothing is left behind.
    let dir = temp_dir("hp-install-dir-");
    std::fs::create_dir(dir.join("healthprobe")).unwrap();
    std::fs::write(dir.join("healthprobe/keep"), "").unwrap();
    probe(&["install", &dir.to_string_lossy()])
        .unhealthy()
        .one_line()
        .says("install: cannot put the copy at");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    probe(&["install"]).unhealthy().says("<DIR>");
    assert!(Path::new(&bin()).exists());
}
