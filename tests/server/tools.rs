//! The README's promise: on a fresh machine (rustup, Node.js and the package registries, nothing
//! else) `scripts/setup` installs every tool the scripts and tests call.
//!
//! The test reads every shell script and every test for the commands they run, runs
//! `scripts/setup` with only a fresh machine's `PATH`, and then requires each command to be a
//! shell builtin or function, one of the project's own tools, part of rustup or Node.js, part of
//! every Debian installation (essential or required), or from a Debian package the scripts
//! install themselves.

use crate::support::repo_path;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh Debian machine's `PATH` with rustup's cargo: what this image adds under
/// `/usr/local/bin` (cargo-nextest, a second git, PostgreSQL) is not on it.
fn fresh_path() -> String {
    let home = std::env::var("HOME").unwrap();
    format!("{home}/.cargo/bin:/usr/sbin:/usr/bin:/sbin:/bin")
}

/// The shell scripts of the project.
fn shell_scripts() -> Vec<PathBuf> {
    let mut out = vec![repo_path(".ci/run")];
    for e in std::fs::read_dir(repo_path("scripts")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        if p.is_file()
            && (text.starts_with("#!/usr/bin/env bash") || p.extension().is_some_and(|x| x == "sh"))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Words that start a command segment: after them comes the command itself.
const PREFIXES: &[&str] = &[
    "then", "do", "else", "elif", "if", "while", "until", "!", "exec", "time", "nice", "env",
    "as_root", "sudo", "command", "timeout", "xargs",
];

/// The commands one script line runs (word at command position), with `VAR=value`
/// assignments and prefixes like `exec` or `as_root` skipped. Quoted text is an argument,
/// except a `$(…)` inside double quotes; `$((…))` is arithmetic.
fn commands_of_line(line: &str) -> Vec<String> {
    #[derive(PartialEq)]
    enum Cx {
        Code,
        Double,
        Arith,
    }
    let chars: Vec<char> = line.chars().collect();
    let mut stack = vec![Cx::Code];
    let mut segments = vec![String::new()];
    let mut i = 0;
    let at = |i: usize, s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
    while i < chars.len() {
        let c = chars[i];
        let top = stack.last().unwrap_or(&Cx::Code);
        match top {
            Cx::Arith => {
                if at(i, "))") {
                    stack.pop();
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            Cx::Double => {
                if c == '\\' {
                    i += 2;
                    continue;
                }
                if c == '"' {
                    stack.pop();
                } else if at(i, "$((") {
                    stack.push(Cx::Arith);
                    i += 3;
                    continue;
                } else if at(i, "$(") {
                    stack.push(Cx::Code);
                    segments.push(String::new());
                    i += 2;
                    continue;
                }
                segments.last_mut().unwrap().push(c);
                i += 1;
                continue;
            }
            Cx::Code => {}
        }
        // Code: a comment runs to the end of the line.
        let word_start = i == 0 || chars[i - 1].is_whitespace();
        if c == '#' && word_start {
            break;
        }
        if c == '\'' {
            let close = chars[i + 1..]
                .iter()
                .position(|&d| d == '\'')
                .map_or(chars.len(), |p| i + 1 + p);
            segments
                .last_mut()
                .unwrap()
                .extend(&chars[i..=close.min(chars.len() - 1)]);
            i = close + 1;
            continue;
        }
        if c == '"' {
            stack.push(Cx::Double);
            segments.last_mut().unwrap().push(c);
            i += 1;
            continue;
        }
        if at(i, "$((") {
            stack.push(Cx::Arith);
            i += 3;
            continue;
        }
        if at(i, "$(") || at(i, "<(") {
            stack.push(Cx::Code);
            segments.push(String::new());
            i += 2;
            continue;
        }
        if c == '(' {
            stack.push(Cx::Code);
            segments.push(String::new());
            i += 1;
            continue;
        }
        if c == ')' {
            if stack.len() > 1 {
                stack.pop();
            }
            segments.push(String::new());
            i += 1;
            continue;
        }
        if matches!(c, '|' | ';' | '&' | '`') {
            segments.push(String::new());
            i += 1;
            continue;
        }
        segments.last_mut().unwrap().push(c);
        i += 1;
    }
    let mut out = Vec::new();
    for seg in segments {
        let mut words = shell_words(&seg).into_iter().peekable();
        while let Some(w) = words.peek() {
            let is_assignment = w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            // `timeout 20 x`, `nice -n 19 x`: the prefix's own arguments.
            let argument = w.starts_with('-') || w.chars().all(|c| c.is_ascii_digit());
            if is_assignment || PREFIXES.contains(&w.as_str()) || argument {
                words.next();
            } else {
                break;
            }
        }
        let Some(first) = words.next() else { continue };
        let command_like = first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '['))
            && !first.chars().all(|c| c.is_ascii_digit());
        if !command_like || first == "[" || first == "[[" {
            continue;
        }
        out.push(first.clone());
        // `cargo nextest` needs `cargo-nextest`; `npx playwright` needs the package's binary.
        let rest: Vec<String> = words.filter(|w| !w.starts_with(['-', '+'])).collect();
        if first == "cargo"
            && let Some(sub) = rest.first()
        {
            out.push(format!("cargo {sub}"));
        }
        if first == "npx"
            && let Some(bin) = rest.first()
        {
            out.push(format!("npx {bin}"));
        }
    }
    out
}

/// Splits at whitespace outside quotes (quotes are kept in the words).
fn shell_words(seg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in seg.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The lines of a script, with `\`-continued lines joined into one.
fn joined_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                cur.push_str(head);
                cur.push(' ');
            }
            None => {
                cur.push_str(line);
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every command the scripts run, with the scripts that run it; and the functions they define.
fn script_commands() -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let mut commands: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut functions = BTreeSet::new();
    for path in shell_scripts() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut heredoc_end: Option<String> = None;
        for line in joined_lines(&text) {
            let line = line.as_str();
            if let Some(end) = &heredoc_end {
                if line.trim() == end {
                    heredoc_end = None;
                }
                continue;
            }
            if let Some((_, rest)) = line.split_once("<<") {
                let tag: String = rest
                    .trim_start_matches('-')
                    .trim()
                    .trim_matches(['\'', '"'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !tag.is_empty() {
                    heredoc_end = Some(tag);
                }
            }
            let t = line.trim_start();
            if let Some(f) = t.split_once("()").map(|(f, _)| f)
                && !f.is_empty()
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                functions.insert(f.to_string());
                continue;
            }
            for c in commands_of_line(line) {
                commands.entry(c).or_default().insert(name.clone());
            }
        }
    }
    (commands, functions)
}

/// Programs the Rust tests start by name (`Command::new("…")`).
fn test_commands() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![repo_path("tests"), repo_path("src"), repo_path("examples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for part in text.split("Command::new(\"").skip(1) {
                if let Some((name, _)) = part.split_once('"')
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                {
                    out.entry(name.to_string())
                        .or_default()
                        .insert(p.file_name().unwrap().to_string_lossy().to_string());
                }
            }
        }
    }
    out
}

/// The Debian packages the scripts install (`apt_install a b c`).
fn apt_packages() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in shell_scripts() {
        for line in joined_lines(&std::fs::read_to_string(&path).unwrap()) {
            if let Some((_, rest)) = line.split_once("apt_install ") {
                if line.trim_start().starts_with("apt_install()") {
                    continue;
                }
                out.extend(
                    rest.split_whitespace()
                        .take_while(|w| !w.starts_with(['#', ';', '&', '|']))
                        .map(str::to_string),
                );
            }
        }
    }
    out
}

fn sh(script: &str, path: &str) -> std::process::Output {
    Command::new("/bin/bash")
        .arg("-c")
        .arg(script)
        .current_dir(repo_path(""))
        .env("PATH", path)
        .output()
        .unwrap()
}

fn dpkg_field(pkg: &str, field: &str) -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", &format!("-f=${{{field}}}"), pkg])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Installed packages that `roots` bring along (their dependencies, transitively).
fn with_dependencies(roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(p) = todo.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        let depends = format!(
            "{},{}",
            dpkg_field(&p, "Pre-Depends"),
            dpkg_field(&p, "Depends")
        );
        for alt in depends.split(',') {
            // `a (>= 1) | b`: any alternative that is installed.
            for dep in alt.split('|') {
                let name = dep.split_whitespace().next().unwrap_or("");
                let name = name.split(':').next().unwrap_or("");
                if !name.is_empty() && !dpkg_field(name, "Status").is_empty() {
                    todo.push(name.to_string());
                }
            }
        }
    }
    seen
}

#[test]
fn setup_installs_every_tool_the_scripts_and_tests_call() {
    let (mut commands, functions) = script_commands();
    for f in &functions {
        commands.remove(f);
    }
    // A program a test starts is looked up on PATH, never a shell builtin (`kill`).
    let programs = test_commands();
    for (c, from) in &programs {
        commands
            .entry(c.clone())
            .or_default()
            .extend(from.iter().cloned());
    }
    // The scanner must see what it is meant to see, or the test proves nothing.
    for expected in [
        "cargo nextest",
        "trunk",
        "npx playwright",
        "psql",
        "brotli",
        "wrk",
        "pdftotext",
        "zbarimg",
    ] {
        assert!(
            commands.contains_key(expected),
            "scanner missed {expected}: {:?}",
            commands.keys()
        );
    }

    let path = fresh_path();
    let setup = sh("scripts/setup", &path);
    assert!(
        setup.status.success(),
        "scripts/setup failed on a fresh PATH:\n{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let ensure = sh(
        "source scripts/env.sh; source scripts/postgres.sh; ensure_postgres",
        &path,
    );
    assert!(
        ensure.status.success(),
        "{}",
        String::from_utf8_lossy(&ensure.stderr)
    );

    let root = repo_path("");
    let home = PathBuf::from(std::env::var("HOME").unwrap());
    let tools_dir = {
        let out = sh("source scripts/env.sh; printf %s \"$DVC_TOOLS\"", &path);
        PathBuf::from(String::from_utf8(out.stdout).unwrap())
    };
    let installed = with_dependencies(&apt_packages());
    let mut missing = Vec::new();
    for (command, from) in &commands {
        let (name, lookup) = match command.split_once(' ') {
            Some(("cargo", sub)) => {
                // Cargo's own subcommands need nothing else.
                if matches!(
                    sub,
                    "build"
                        | "check"
                        | "run"
                        | "test"
                        | "install"
                        | "fetch"
                        | "doc"
                        | "bench"
                        | "metadata"
                        | "tree"
                        | "update"
                        | "clean"
                        | "search"
                        | "info"
                ) {
                    continue;
                }
                (command.clone(), format!("cargo-{sub}"))
            }
            Some(("npx", bin)) => (command.clone(), format!("end2end/node_modules/.bin/{bin}")),
            _ => (command.clone(), command.clone()),
        };
        let probe = if programs.contains_key(command) {
            sh(&format!("source scripts/env.sh; type -P {lookup}"), &path)
        } else {
            sh(
                &format!(
                    "source scripts/env.sh; type -t {lookup} >/dev/null && {{ command -v {lookup} || echo builtin; }}"
                ),
                &path,
            )
        };
        let found = String::from_utf8_lossy(&probe.stdout).trim().to_string();
        let found = if lookup.contains('/') {
            let p = root.join(&lookup);
            if p.exists() {
                p.display().to_string()
            } else {
                String::new()
            }
        } else {
            found
        };
        let ok = if found.is_empty() {
            false
        } else if found == "builtin" || !found.starts_with('/') {
            true
        } else {
            let at = Path::new(&found);
            if at.starts_with(&tools_dir)
                || at.starts_with(&root)
                || at.starts_with(home.join(".cargo/bin"))
            {
                true
            } else {
                // Merged /usr: dpkg may know `/usr/bin/grep` as `/bin/grep`.
                let owner_of = |path: &str| {
                    let out = Command::new("dpkg").args(["-S", path]).output().unwrap();
                    let out = String::from_utf8_lossy(&out.stdout).to_string();
                    out.split(':').next().unwrap_or("").trim().to_string()
                };
                let mut pkg = owner_of(&found);
                if pkg.is_empty()
                    && let Some(rest) = found.strip_prefix("/usr")
                {
                    pkg = owner_of(rest);
                }
                // Node.js is on every machine this project supports; essential and required
                // packages are on every Debian installation.
                pkg == "nodejs"
                    || installed.contains(&pkg)
                    || dpkg_field(&pkg, "Essential") == "yes"
                    || dpkg_field(&pkg, "Priority") == "required"
            }
        };
        if !ok {
            missing.push(format!(
                "{name} (called in {}; found: {found:?})",
                from.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "not installed by scripts/setup on a fresh machine:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_scanner_finds_commands_where_the_shell_runs_them() {
    assert_eq!(
        commands_of_line("  cargo nextest run --features ssr"),
        ["cargo", "cargo nextest"]
    );
    assert_eq!(
        commands_of_line("(cd end2end && DVC_X=1 npx playwright test)"),
        ["cd", "npx", "npx playwright"]
    );
    assert_eq!(
        commands_of_line("x=$(timeout 20 brotli -c -q 11 \"$w\" | wc -c) # brotli size"),
        ["brotli", "wc"]
    );
    assert_eq!(
        commands_of_line("as_root env A=b apt-get install -y x"),
        ["apt-get"]
    );
    assert_eq!(commands_of_line("nice -n 19 wrk -t2 x"), ["wrk"]);
    assert_eq!(commands_of_line("echo '#not a comment; date'"), ["echo"]);
    assert_eq!(
        commands_of_line("say \"cargo install x (takes a while) $(date)\""),
        ["say", "date"]
    );
    assert_eq!(commands_of_line("total=$((total + br)); wc -c f"), ["wc"]);
    assert!(commands_of_line("dir=\"${X:?run by trunk}\"").is_empty());
    assert_eq!(
        commands_of_line("for _ in $(seq 1 100); do curl -fsS \"$u\" && break; sleep 0.1; done"),
        ["for", "seq", "curl", "break", "sleep", "done"]
    );
    assert!(commands_of_line("\"$CARGO_TARGET_DIR/server\" \"$@\"").is_empty());
}
