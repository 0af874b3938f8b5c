//! The libsinsp side of the benchmark: Debian's `sysdig` (0.29.3) reading the same capture.
//!
//! - [`run_timed`]: `sysdig -r FILE -p "*%f1 %f2 ..."` with stdout on `/dev/null` (sysdig's
//!   stdout is then fully buffered, as for any non-terminal; `--unbuffered` is not used), timed
//!   from spawn to exit, its peak RSS and CPU time taken from `wait4`'s rusage of that one
//!   process.
//! - [`count`]: an untimed run of the same fields as JSON (`-j`, with `%evt.num` in front), read
//!   line by line: how many events sysdig displayed, the last event number (libsinsp numbers
//!   every event it reads, including the procinfo events it never displays, so that is the
//!   number of events it processed), and for each field how many displayed events had a value
//!   (JSON `null` is no value).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// One timed sysdig run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SysdigRun {
    /// Wall clock from spawn to exit.
    pub seconds: f64,
    /// User + system CPU time.
    pub cpu_seconds: f64,
    /// Peak resident set size (KiB).
    pub max_rss_kib: u64,
}

/// What an untimed JSON run of sysdig displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysdigCount {
    /// Events displayed (one JSON line each).
    pub displayed: u64,
    /// The largest `evt.num`: events read from the file.
    pub processed: u64,
    /// Per field (in the order asked), displayed events where it had a value.
    pub present: Vec<u64>,
}

/// The `sysdig` executable on `PATH`, if any.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("sysdig"))
        .find(|candidate| candidate.is_file())
}

/// `sysdig --version`, e.g. `sysdig version 0.29.3`.
pub fn version(sysdig: &Path) -> Result<String, String> {
    let out = Command::new(sysdig)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", sysdig.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The `-p` format: `*` (print events even where a field has no value), then `%field`s.
pub fn format(fields: &[&str]) -> String {
    let mut f = String::from("*");
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            f.push(' ');
        }
        f.push('%');
        f.push_str(field);
    }
    f
}

/// Collects a child's stderr on a thread (so that a chatty child never blocks on a full pipe).
fn collect_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let stderr = child.stderr.take();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    })
}

fn spawn(sysdig: &Path, capture: &Path, args: &[&str], stdout: Stdio) -> Result<Child, String> {
    Command::new(sysdig)
        .arg("-r")
        .arg(capture)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", sysdig.display()))
}

fn failed(what: &str, status: &str, stderr: &str) -> String {
    format!("{what} failed ({status}): {}", stderr.trim())
}

/// A `timeval` (rusage's CPU times) in seconds.
pub fn seconds(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

/// Wait for `child` with `wait4`, which gives that process's own rusage (peak RSS, CPU time).
/// `std::process::Child::wait` has no rusage, and `getrusage(RUSAGE_CHILDREN)` would mix in
/// every other child this process ever waited for.
pub fn wait_with_rusage(child: &Child) -> Result<(i32, libc::rusage), String> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our unreaped child; both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {err}"));
        }
    }
}

fn describe(status: i32) -> (bool, String) {
    if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        (code == 0, format!("exit status {code}"))
    } else if libc::WIFSIGNALED(status) {
        (
            false,
            format!("killed by signal {}", libc::WTERMSIG(status)),
        )
    } else {
        (false, format!("wait status {status:#x}"))
    }
}

/// One timed run: `sysdig -r capture -p format > /dev/null`.
pub fn run_timed(sysdig: &Path, capture: &Path, fields: &[&str]) -> Result<SysdigRun, String> {
    let format = format(fields);
    let start = Instant::now();
    let mut child = spawn(sysdig, capture, &["-p", &format], Stdio::null())?;
    let stderr = collect_stderr(&mut child);
    let (status, usage) = wait_with_rusage(&child)?;
    let seconds_wall = start.elapsed().as_secs_f64();
    let stderr = stderr.join().unwrap_or_default();
    let (ok, status) = describe(status);
    if !ok {
        return Err(failed("sysdig", &status, &stderr));
    }
    Ok(SysdigRun {
        seconds: seconds_wall,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
    })
}

/// An untimed JSON run: events displayed, events processed, values present per field.
pub fn count(sysdig: &Path, capture: &Path, fields: &[&str]) -> Result<SysdigCount, String> {
    let mut with_num = vec!["evt.num"];
    with_num.extend_from_slice(fields);
    let format = format(&with_num);
    let mut child = spawn(sysdig, capture, &["-j", "-p", &format], Stdio::piped())?;
    let stderr = collect_stderr(&mut child);
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut result = SysdigCount {
        displayed: 0,
        processed: 0,
        present: vec![0; fields.len()],
    };
    let mut parse_error = None;
    for line in BufReader::with_capacity(1 << 20, stdout).lines() {
        let line = line.map_err(|e| format!("reading sysdig's output: {e}"))?;
        if parse_error.is_some() {
            continue; // drain, so that sysdig can finish
        }
        let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(&line) {
            Ok(object) => object,
            Err(e) => {
                parse_error = Some(format!(
                    "sysdig printed a line that is not a JSON object: {e}: {line}"
                ));
                continue;
            }
        };
        result.displayed += 1;
        if let Some(num) = object.get("evt.num").and_then(|v| v.as_u64()) {
            result.processed = result.processed.max(num);
        }
        for (present, field) in result.present.iter_mut().zip(fields) {
            if object.get(*field).is_some_and(|v| !v.is_null()) {
                *present += 1;
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for sysdig: {e}"))?;
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(failed("sysdig -j", &status.to_string(), &stderr));
    }
    match parse_error {
        Some(e) => Err(e),
        None => Ok(result),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_prints_every_event() {
        assert_eq!(format(&["evt.type", "fd.name"]), "*%evt.type %fd.name");
    }
}
