//! The progress line: drawn on a terminal's stderr and erased at the end, never on a pipe, never
//! with `--quiet`, and never a change to what a run computes or prints on stdout.
//!
//! A pseudo-terminal comes from Python's `pty` module or, failing that, util-linux's `script`.
//! Without either the terminal tests pass without checking anything (on a developer's machine);
//! `.ci/run` refuses to start without one, so CI never skips them.
//! `PLANETSIM_PROGRESS_AFTER_MS=0` shows the line at once instead of after a second, so a short
//! run is enough and nothing here depends on how fast the machine is.

use crate::support::{temp_dir, write};
use planetsim::cli::progress::SHOW_AFTER_VARIABLE;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What `\r` and "erase the line" look like on the terminal.
const ERASE: &str = "\r\x1b[2K";
const SHOW_AT_ONCE: (&str, &str) = (SHOW_AFTER_VARIABLE, "0");

const TOPOLOGY: &str = "
name: solo
regions:
  - {id: here, lat: 0, lon: 0, utc_offset_h: 0}
";

/// About 250,000 events: a few slices of 65,536, so the kernel shows the line its progress.
const SCENARIO: &str = "
name: busy
topology: topology.yaml
duration: 5s
services:
  - {region: here, workers: 64, queue_capacity: 1000, service_time: {dist: exponential, mean: 2ms}}
clients:
  - {name: users, region: here, rate_rps: 10000, timeout: 1s}
expect:
  - that: \"availability > 0.5\"
";

/// Runs `planetsim args` (in `dir`) with its stderr on a pseudo-terminal and its stdout in a
/// file; returns (stdout, what the terminal showed), or `None` if no tool can make a terminal.
fn on_terminal(dir: &Path, args: &[&str]) -> Option<(String, String)> {
    let stdout_file = dir.join("stdout.txt");
    let binary = env!("CARGO_BIN_EXE_planetsim");
    let output = python_pty(dir, &stdout_file, binary, args).or_else(|| script_pty(dir, &stdout_file, binary, args))?;
    assert!(output.status.success(), "planetsim {args:?} failed on a terminal:\n{}", text(&output.stdout));
    Some((std::fs::read_to_string(&stdout_file).unwrap(), text(&output.stdout)))
}

const PYTHON_PTY: &str = r#"
import os, subprocess, sys
master, terminal = os.openpty()
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=terminal)
os.close(terminal)
seen = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the child has closed the terminal
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.buffer.write(bytes(seen))
sys.exit(child.wait())
"#;

fn python_pty(dir: &Path, stdout_file: &Path, binary: &str, args: &[&str]) -> Option<Output> {
    let script = write(dir, "pty.py", PYTHON_PTY);
    let output = Command::new("python3")
        .arg(&script)
        .arg(stdout_file)
        .arg(binary)
        .args(args)
        .current_dir(dir)
        .env(SHOW_AT_ONCE.0, SHOW_AT_ONCE.1)
        .output();
    // No python3, or one without `pty` (exit 1 with a traceback): try the next tool.
    output.ok().filter(|o| o.status.code() != Some(1) || !text(&o.stderr).contains("Traceback"))
}

/// `script` puts stdout on the terminal too, so the command line sends it to the file.
fn script_pty(dir: &Path, stdout_file: &Path, binary: &str, args: &[&str]) -> Option<Output> {
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let mut command: Vec<String> = std::iter::once(binary).chain(args.iter().copied()).map(quote).collect();
    command.push(format!("> {}", quote(&stdout_file.to_string_lossy())));
    let output = Command::new("script")
        .args(["-qfec", &command.join(" "), "/dev/null"])
        .current_dir(dir)
        .env(SHOW_AT_ONCE.0, SHOW_AT_ONCE.1)
        .output()
        .ok()?;
    // `script` writes the terminal's output with \r\n line ends and nothing else on success.
    Some(output)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scenario_dir(label: &str) -> PathBuf {
    let dir = temp_dir(label);
    write(&dir, "topology.yaml", TOPOLOGY);
    write(&dir, "busy.yaml", SCENARIO);
    dir
}

#[test]
fn a_run_on_a_terminal_shows_the_line_and_erases_it() {
    let dir = scenario_dir("progress-tty");
    let Some((stdout, terminal)) = on_terminal(&dir, &["run", "busy.yaml", "--out", "out"]) else {
        eprintln!("skipped: neither python3 (with pty) nor script (util-linux) can make a pseudo-terminal here");
        return;
    };
    let frames: Vec<&str> = terminal.split(ERASE).filter(|f| !f.is_empty()).collect();
    assert!(!frames.is_empty(), "a progress line was drawn:\n{terminal:?}");
    for frame in &frames {
        assert!(frame.starts_with("busy: ") && frame.contains(" s of 6.0 s simulated · "), "frame {frame:?}");
        assert!(frame.contains(" events/s · ") && frame.ends_with(" left"), "frame {frame:?}");
        assert!(!frame.contains('\n'), "redrawn in place: {frame:?}");
    }
    assert!(terminal.ends_with(ERASE), "the line is erased at the end: {terminal:?}");
    assert!(stdout.starts_with("planetsim · scenario `busy`") && !stdout.contains('\x1b'), "stdout is untouched:\n{stdout}");
}

#[test]
fn quiet_or_a_pipe_shows_no_line_and_the_run_is_the_same() {
    let dir = scenario_dir("progress-quiet");
    let piped = Command::new(env!("CARGO_BIN_EXE_planetsim"))
        .args(["run", "busy.yaml", "--out", "piped"])
        .current_dir(&dir)
        .env(SHOW_AT_ONCE.0, SHOW_AT_ONCE.1)
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(text(&piped.stderr), "", "nothing but errors on a piped stderr");
    let Some((quiet_stdout, terminal)) = on_terminal(&dir, &["run", "busy.yaml", "--out", "quiet", "--quiet"]) else {
        eprintln!("skipped: neither python3 (with pty) nor script (util-linux) can make a pseudo-terminal here");
        return;
    };
    assert_eq!(terminal, "", "--quiet draws nothing on a terminal");
    assert_eq!(quiet_stdout, "");
    let (shown_stdout, _) = on_terminal(&dir, &["run", "busy.yaml", "--out", "shown"]).unwrap();
    let shown_stdout = shown_stdout.replace("results: shown", "results: piped");
    assert_eq!(shown_stdout, text(&piped.stdout), "with or without the line, the run prints the same");
    for file in ["summary.json", "timeline.csv", "events.csv"] {
        let read = |run: &str| std::fs::read(dir.join(run).join(file)).unwrap();
        assert_eq!(read("shown"), read("piped"), "{file} is the same whether the line was drawn or not");
        assert_eq!(read("quiet"), read("piped"), "{file} is the same with --quiet");
    }
}

#[test]
fn check_on_a_terminal_counts_runs_done() {
    let dir = scenario_dir("progress-check");
    let Some((stdout, terminal)) = on_terminal(&dir, &["check", "busy.yaml", "--replications", "2", "--threads", "1"]) else {
        eprintln!("skipped: neither python3 (with pty) nor script (util-linux) can make a pseudo-terminal here");
        return;
    };
    assert!(terminal.contains("check busy.yaml: 1 of 2 runs done"), "runs are counted:\n{terminal:?}");
    assert!(terminal.ends_with(ERASE), "the line is erased before the results: {terminal:?}");
    assert!(stdout.contains("pass  availability > 0.5"), "{stdout}");
}
