//! Every example in README.md and in the docs/ pages that is meant to be run
//! is run, so that one that stops working fails here: each `healthprobe ...`
//! line of a ```sh block, each exec-form `["/healthprobe", ...]` of a
//! Dockerfile or Compose block (and of the examples/ files a page links to),
//! with the `HEALTHPROBE_*` variables set beside it, and the `docker exec`
//! line. The examples are found by their content, not by where they stand,
//! so the pages can be reorganised freely. Every relative link and anchor
//! of those pages is followed too.
//!
//! They name hosts such as `db` and `cache`: they run in a network namespace
//! of the test's own, where nothing is reachable and no query leaves. What is
//! asserted is that the probe takes the command line and gives a verdict (or,
//! for `wait`, its lines): a usage error, a panic or a second line fails.

mod common;

use common::netns::in_namespace;
use common::{Server, probe_env};

const README: &str = include_str!("../README.md");

/// One fenced block: its info string (`sh`, `dockerfile`, `yaml`) and text.
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`').trim().to_string();
                open = Some((info, String::new()));
            }
            (Some(_), true) => out.extend(open.take()),
            (Some((_, text)), false) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, false) => {}
        }
    }
    out
}

/// `text` split into words as sh splits them (quotes, backslashes, a `#`
/// comment, `\` line continuations); `${VAR}` is kept for the probe.
fn sh_lines(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut lines = Vec::new();
    for line in joined.lines() {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '#' if word.is_none() => break,
                ' ' | '\t' => words.extend(word.take()),
                '\'' => {
                    let w = word.get_or_insert_with(String::new);
                    w.extend(chars.by_ref().take_while(|&c| c != '\''));
                }
                '"' => {
                    let w = word.get_or_insert_with(String::new);
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => w.extend(chars.next()),
                            c => w.push(c),
                        }
                    }
                }
                '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
                c => word.get_or_insert_with(String::new).push(c),
            }
        }
        words.extend(word.take());
        if !words.is_empty() {
            lines.push(words);
        }
    }
    lines
}

/// The JSON string arrays in `text` that run `/healthprobe`: its arguments
/// (a YAML flow sequence may span lines).
fn exec_forms(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let inside = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        let strings = json_strings(inside);
        if let Some(i) = strings.iter().position(|s| s == "/healthprobe") {
            out.push(strings[i + 1..].to_vec());
        }
    }
    out
}

fn json_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => s.extend(chars.next()),
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// `HEALTHPROBE_URL="..."` and `HEALTHPROBE_TIMEOUT=3s` (ENV lines, comments).
fn probe_variables(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for words in sh_lines(&text.replace('#', " ")) {
        for w in words {
            if let Some((k, v)) = w.split_once('=')
                && k.starts_with("HEALTHPROBE_")
            {
                out.push((k.to_string(), v.to_string()));
            }
        }
    }
    out
}

/// One example to run: where it came from, its arguments and variables.
#[derive(Debug)]
struct Example {
    source: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// README.md and the Markdown pages under docs/: (path from the
/// repository's root, text).
fn pages() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_string(), README.to_string())];
    out.extend(docs());
    out
}

/// Every runnable example of the README, of the docs/ pages, and of the
/// examples/ files they link.
fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for (page, markdown) in pages() {
        out.extend(examples_of(&page, &markdown));
    }
    for file in linked_example_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let env = probe_variables(&text);
        for args in exec_forms(&text) {
            out.push(Example {
                source: format!("{file}: {args:?}"),
                args,
                env: env.clone(),
            });
        }
    }
    out
}

/// The runnable examples of one page (`page` names it in the sources).
fn examples_of(page: &str, markdown: &str) -> Vec<Example> {
    let mut out = Vec::new();
    for (info, text) in blocks(markdown) {
        let shell = matches!(info.as_str(), "sh" | "bash" | "shell" | "console");
        let config = matches!(info.as_str(), "dockerfile" | "Dockerfile" | "yaml" | "yml");
        if shell {
            for words in sh_lines(&text) {
                if words.first().is_some_and(|w| w == "healthprobe") {
                    out.push(Example {
                        source: format!("{page} ```{info}: {}", words.join(" ")),
                        args: words[1..].to_vec(),
                        env: Vec::new(),
                    });
                }
            }
            // `podman run --health-cmd '["/healthprobe", ...]'`.
            for args in exec_forms(&text) {
                out.push(Example {
                    source: format!("{page} ```{info} exec form: {args:?}"),
                    args,
                    env: Vec::new(),
                });
            }
        }
        if config {
            let env = probe_variables(&text);
            for args in exec_forms(&text) {
                out.push(Example {
                    source: format!("{page} ```{info}: {args:?}"),
                    args,
                    env: env.clone(),
                });
            }
        }
    }
    // `docker exec -it app /healthprobe -v http://...` in the prose.
    for span in markdown.split('`').skip(1).step_by(2) {
        if let Some((_, args)) = span.split_once("docker exec ") {
            let words = &sh_lines(args)[0];
            if let Some(i) = words.iter().position(|w| w == "/healthprobe") {
                out.push(Example {
                    source: format!("{page}: `{span}`"),
                    args: words[i + 1..].to_vec(),
                    env: Vec::new(),
                });
            }
        }
    }
    out
}

/// The files under examples/ that the README or a docs/ page links to.
fn linked_example_files() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<String> = Vec::new();
    for (page, text) in pages() {
        let dir = root.join(&page);
        let dir = dir.parent().unwrap_or(root);
        for link in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            let in_examples = link.starts_with("examples/") || link.starts_with("../examples/");
            if in_examples && !link.ends_with(".rs") {
                let path = dir.join(link);
                let path = path.canonicalize().unwrap_or(path);
                out.push(path.display().to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_readme_has_the_examples_this_test_runs() {
    let found = examples();
    // The extraction itself: pages without examples would pass vacuously.
    assert!(found.len() >= 60, "{} examples: {found:#?}", found.len());
    // The README shows one example of each kind of check; docs/ all the rest.
    let readme: Vec<&Example> = found
        .iter()
        .filter(|e| e.source.starts_with("README.md"))
        .collect();
    for kind in [
        "http://",
        "https://",
        "tcp",
        "grpc",
        "redis://",
        "postgres://",
        "mysql://",
        "amqp://",
        "mqtt://",
        "memcached://",
        "nats://",
        "dns:",
        "exec",
        "file",
        "wait",
    ] {
        assert!(
            readme
                .iter()
                .any(|e| e.args.iter().any(|a| a.starts_with(kind))),
            "no example of {kind} in the README: {readme:#?}"
        );
    }
    for page in ["docs/checks.md", "docs/recipes.md", "docs/options.md"] {
        assert!(
            found.iter().any(|e| e.source.starts_with(page)),
            "no example run from {page}"
        );
    }
    assert!(
        readme
            .iter()
            .any(|e| e.source.starts_with("README.md ```dockerfile"))
    );
    assert!(
        readme
            .iter()
            .any(|e| e.source.starts_with("README.md ```yaml"))
    );
    assert!(found.iter().any(|e| e.source.contains("examples/")));
    assert!(
        readme
            .iter()
            .any(|e| e.source.starts_with("README.md ```sh exec form")),
        "the Podman --health-cmd example"
    );
    // The first screen: what a user copies, the probe's exec form.
    let first_screen: String = README.lines().take(45).collect::<Vec<_>>().join("\n");
    for copied in [
        "HEALTHCHECK",
        "healthcheck:",
        "[\"CMD\", \"/healthprobe\"",
        "cargo test",
    ] {
        assert!(
            first_screen.contains(copied),
            "{copied} not in the first screen"
        );
    }
    assert!(
        readme
            .iter()
            .any(|e| e.env.iter().any(|(k, _)| k == "HEALTHPROBE_URL"))
    );
    let quoted = readme
        .iter()
        .find(|e| e.args.iter().any(|a| a == "\"status\":\"UP\""))
        .expect("the --body-contains example, its quotes removed as sh does");
    assert!(quoted.args.contains(&"--body-contains".to_string()));
}

/// The Markdown pages under docs/ (not docs/incoming/, the fragments
/// waiting to be folded in), as `docs/NAME.md`, with their text.
fn docs() -> Vec<(String, String)> {
    let dir = format!("{}/docs", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{dir}: {e}")).path();
        if path.extension().is_some_and(|x| x == "md") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            out.push((format!("docs/{name}"), text));
        }
    }
    out.sort();
    out
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, and every
/// character but letters, digits, `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn the_links_of_the_readme_and_docs_lead_somewhere() {
    // Every relative link (`docs/limits.md#http`, `#checks`, `../README.md`,
    // `../examples/...`) of the README and the docs/ pages must land: on a
    // file, and on a heading of it when it names one.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = pages();
    let mut checked = 0;
    let mut anchored = 0;
    for (file, text) in &files {
        let here = root.join(file);
        let dir = here.parent().unwrap_or(root);
        for link in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = match path.is_empty() {
                true => here.clone(),
                false => dir.join(path),
            };
            assert!(target.exists(), "{file}: link {link}: no {target:?}");
            if !fragment.is_empty() {
                let text =
                    std::fs::read_to_string(&target).unwrap_or_else(|e| panic!("{target:?}: {e}"));
                assert!(
                    anchors(&text).iter().any(|a| a == fragment),
                    "{file}: link {link}: no heading #{fragment} in {target:?}"
                );
                anchored += 1;
            }
            checked += 1;
        }
    }
    eprintln!(
        "{checked} links checked in {} pages, {anchored} of them to a heading",
        files.len()
    );
    assert!(checked >= 70, "{checked} links");
    assert!(anchored >= 10, "{anchored} links to a heading");
}

#[test]
fn the_readme_fits_and_links_every_page_of_the_manual() {
    // The README is what a user scrolls through; the reference is in docs/.
    assert!(
        README.len() <= 20_000,
        "README.md is {} bytes",
        README.len()
    );
    let pages = docs();
    for page in [
        "checks",
        "options",
        "recipes",
        "output-and-exit-codes",
        "security",
        "limits",
        "install",
        "performance",
        "size",
        "development",
        "restart-and-history",
        "serve",
    ] {
        let path = format!("docs/{page}.md");
        assert!(pages.iter().any(|(p, _)| *p == path), "no {path}");
        assert!(
            README.contains(&format!("]({path}")) || README.contains(&format!("]({page}.md")),
            "the README does not link {path}"
        );
    }
    // Every page leads back.
    for (page, text) in &pages {
        assert!(
            text.contains("](../README.md"),
            "{page} has no way back to the README"
        );
    }
}

#[test]
fn the_version_the_readme_names_is_this_one() {
    let version = env!("CARGO_PKG_VERSION");
    for (page, text) in pages() {
        for (i, _) in text.match_indices("healthprobe:") {
            let tag: String = text[i + "healthprobe:".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            // X.Y.Z, or the X.Y and X tags that follow it.
            let tag = tag.trim_end_matches('.');
            if !tag.is_empty() {
                assert!(
                    version == tag || version.starts_with(&format!("{tag}.")),
                    "image tag {tag} in {page} is not one of {version}'s"
                );
            }
        }
    }
}

#[test]
fn the_files_the_readme_names_exist() {
    // Development commands (build, release, Docker): the files they use,
    // named from the repository's root as the commands run there.
    let root = env!("CARGO_MANIFEST_DIR");
    for (info, text) in pages().iter().flat_map(|(_, page)| blocks(page)) {
        if !matches!(info.as_str(), "sh" | "bash" | "shell") {
            continue;
        }
        for words in sh_lines(&text) {
            for w in &words {
                let path = match w.strip_prefix("target/release/examples/") {
                    Some(example) => format!("examples/{example}.rs"),
                    None => w.clone(),
                };
                // A path into one of the repository's folders (not target/).
                let repo_path = path.split_once('/').is_some_and(|(top, _)| {
                    !top.is_empty()
                        && top != "target"
                        && std::path::Path::new(root).join(top).is_dir()
                });
                if repo_path {
                    assert!(
                        std::path::Path::new(root).join(&path).exists(),
                        "{path} (in `{}`)",
                        words.join(" ")
                    );
                }
            }
        }
    }
    for file in linked_example_files() {
        assert!(std::path::Path::new(&file).exists(), "{file}");
    }
}

#[test]
#[ignore = "needs root and ip (iproute2) for a network namespace; CI runs it"]
fn every_example_runs_and_gives_a_verdict() {
    let examples = examples();
    // The files an example names (certificates under /certs) stand in for
    // ones of the test's own where this machine has none.
    let tls = common::self_signed_ca_cert("hp-readme-");
    let stand_in = |option: &str, path: &str| -> Option<String> {
        let name = match option {
            "--cacert" | "--cert" => "cert.pem",
            "--key" => "key.pem",
            _ => return None,
        };
        (!std::path::Path::new(path).exists()).then(|| common::path_in(&tls, name))
    };
    in_namespace(|| {
        // The app the examples check, as they expect it, and a port that
        // accepts and hangs up for the database of `tcp localhost:5432`.
        let _app = Server::http("127.0.0.1:8080", APP);
        let _graphql = Server::http("127.0.0.1:4000", APP);
        let _db = Server::raw("127.0.0.1:5432", |_, _| {});
        let mut healthy = 0;
        let (mut served, mut histories) = (0, 0);
        for e in &examples {
            // `wait` would wait its whole --timeout for hosts that are not
            // here, and musl's resolver its own 5 s for a name server it
            // cannot reach: the deadline is short, the rest of the command
            // line is the example's.
            let mut args = e.args.clone();
            // `serve` answers until stopped: its timeout goes after it.
            let serve = args.first().is_some_and(|a| a == "serve");
            let at = usize::from(serve);
            match args.iter().position(|a| a == "--timeout") {
                Some(i) if args.iter().any(|a| a == "wait") => args[i + 1] = "300ms".into(),
                Some(_) => {}
                None if e.env.iter().any(|(k, _)| k == "HEALTHPROBE_TIMEOUT") => {}
                None => args
                    .splice(at..at, ["--timeout".to_string(), "500ms".to_string()])
                    .for_each(drop),
            }
            for i in 1..args.len() {
                if let Some(file) = stand_in(&args[i - 1], &args[i]) {
                    args[i] = file;
                }
            }
            let mut env: Vec<(&str, &str)> = e
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // Every ${VAR} an example names (a password, a port) is set,
            // to a value that must never be printed.
            let named: Vec<String> = args
                .iter()
                .flat_map(|a| a.split("${").skip(1))
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            for name in &named {
                let value = match name.as_str() {
                    "PORT" => "8080",
                    _ => "s3cret-from-env",
                };
                env.push((name.as_str(), value));
            }
            // Each example remembers in a directory of its own, so that no
            // count carries from one to the next: one run of an example with
            // --restart-after N (N > 1) never signals this machine's PID 1.
            let state = std::env::temp_dir().join(common::unique("hp-readme-state-"));
            let state = state.to_string_lossy().into_owned();
            env.push(("HEALTHPROBE_STATE_DIR", state.as_str()));
            if let Some(i) = args.iter().position(|a| a == "--restart-after") {
                let n: u32 = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(0);
                assert!(
                    n > 1,
                    "{}: --restart-after {n} would signal PID 1",
                    e.source
                );
            }
            if serve {
                serve_example(&e.source, &args, &env);
                let _ = std::fs::remove_dir_all(&state);
                served += 1;
                continue;
            }
            // `history` shows what runs kept: one is kept first, of the app.
            if args.iter().any(|a| a == "history") {
                probe_env(&["--history", "3", "http://localhost:8080/health"], &env).healthy();
                let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                let run = probe_env(&argv, &env);
                let _ = std::fs::remove_dir_all(&state);
                assert_eq!(run.code, 0, "{}: {run:?}", e.source);
                assert!(run.out.contains("200 OK"), "{}: {run:?}", e.source);
                histories += 1;
                continue;
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = probe_env(&argv, &env);
            let _ = std::fs::remove_dir_all(&state);
            let first = run.out.lines().next().unwrap_or("");
            // `--format json`: the verdict is the object's first field.
            let verdict = ["healthy: ", "unhealthy: ", "wait: ", "{\"verdict\":\""]
                .iter()
                .any(|p| first.starts_with(p));
            // The slim build says so of a TLS example, and that is all.
            let slim = !cfg!(feature = "tls") && first.contains("this build has no TLS");
            let verdict = verdict || slim;
            assert!(verdict, "{}: not a verdict: {run:?}", e.source);
            if !args.iter().any(|a| a == "wait" || a == "-v") {
                run.one_line();
            }
            run.never_says("s3cret-from-env").never_says("hunter2");
            // The stand-in app listens on 127.0.0.1 only: -6 cannot reach it.
            if expects_the_app(e) && !args.iter().any(|a| a == "-6") {
                assert_eq!(run.code, 0, "{}: {run:?}", e.source);
                healthy += 1;
            }
        }
        eprintln!(
            "{} examples run, {healthy} of them healthy against the app; \
             {served} of serve, {histories} of history",
            examples.len()
        );
        assert!(healthy >= 15, "{healthy} examples checked the app");
        assert!(
            served >= 4 && histories >= 2,
            "{served} serve, {histories} history"
        );
    });
    let _ = std::fs::remove_dir_all(&tls);
}

/// Runs a `serve` example on a port of its own (its `--listen` replaced),
/// asks `/healthz` once, and stops it: its start line, an answer of 200 or
/// 503 whose body is a verdict, and exit 0 at SIGTERM.
fn serve_example(source: &str, args: &[String], env: &[(&str, &str)]) {
    use std::io::{BufRead, BufReader, Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{source}: no free port: {e}"));
    let listen = format!("127.0.0.1:{port}");
    let mut args = args.to_vec();
    match args.iter().position(|a| a == "--listen") {
        Some(i) => args[i + 1] = listen.clone(),
        None => args
            .splice(1..1, ["--listen".to_string(), listen.clone()])
            .for_each(drop),
    }
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HEALTHPROBE_") {
            cmd.env_remove(&k);
        }
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{source}: {e}"));
    let stdout = child.stdout.take().expect("piped");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines.recv_timeout(std::time::Duration::from_secs(5));
    let asked = first.as_ref().ok().map(|_| {
        let mut answer = String::new();
        if let Ok(mut conn) = std::net::TcpStream::connect(&listen) {
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(15)));
            let _ =
                conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let _ = conn.read_to_string(&mut answer);
        }
        answer
    });
    // SAFETY: kill has no memory effects; the pid is our child, not yet reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap_or_else(|e| panic!("{source}: {e}"));
    let first = first.unwrap_or_else(|_| panic!("{source}: no start line"));
    // The slim build says so of a TLS example, and that is all.
    if !cfg!(feature = "tls") && first.contains("this build has no TLS") {
        assert_eq!(status.code(), Some(1), "{source}: {first}");
        return;
    }
    assert!(
        first.starts_with(&format!(
            "serving /healthz and grpc.health.v1 on {listen} for "
        )),
        "{source}: {first}"
    );
    let answer = asked.unwrap_or_default();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert!(
        (answer.starts_with("HTTP/1.1 200 ") && body.starts_with("healthy: "))
            || (answer.starts_with("HTTP/1.1 503 ") && body.starts_with("unhealthy: ")),
        "{source}: not a verdict: {answer:?}"
    );
    assert!(!answer.contains("s3cret-from-env"), "{source}: {answer}");
    assert_eq!(status.code(), Some(0), "{source}: serve's exit at SIGTERM");
}

/// What the README's app answers: every example's body check holds.
const APP: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 97\r\n\
    Connection: close\r\n\r\n\
    {\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"UP\"}},\"data\":{\"health\":\"ok\"},\"live\":{\"status\":\"up\"}}";

/// Whether every target of `e` is the app above (then it must be healthy).
fn expects_the_app(e: &Example) -> bool {
    const APP_TARGETS: [&str; 4] = [
        "http://localhost:8080/",
        "http://127.0.0.1:8080/",
        "http://localhost:4000/",
        "tcp://localhost:5432",
    ];
    let mut targets: Vec<String> = e
        .args
        .iter()
        .filter(|a| a.contains("://"))
        .cloned()
        .collect();
    for (k, v) in &e.env {
        if k == "HEALTHPROBE_URL" {
            targets.extend(v.split_whitespace().map(String::from));
        }
    }
    if let Some(i) = e.args.iter().position(|a| a == "tcp") {
        targets.extend(e.args.get(i + 1).map(|t| format!("tcp://{t}")));
    }
    let other_kind = e
        .args
        .iter()
        .any(|a| ["exec", "file", "wait", "grpc"].contains(&a.as_str()));
    !other_kind
        && !targets.is_empty()
        && targets
            .iter()
            .all(|t| APP_TARGETS.iter().any(|app| t.starts_with(app)))
}
