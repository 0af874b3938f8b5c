//! `capture -w FILE [--compat] -- COMMAND`: attach the probe, snapshot the zone, run the
//! command, and write a libscap capture file (format 1.2: machine, interfaces, process list,
//! fd lists, users, then every captured event of the zone) until the command exits. `--compat` writes
//! what libscap of 2022 reads ([`crate::compat`]) and counts what it left out.

use crate::clock::boot_to_epoch_offset;
use crate::compat::MAX_FD_TYPE;
use crate::control::Request;
use crate::encode::Encoder;
use crate::probe::{Options, Probe};
use crate::snapshot;
use edera_scap::file::{CaptureWriter, FdInfo, GroupInfo, ThreadInfo, UserInfo};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::mpsc::TryRecvError;
use std::time::Duration;

/// What a capture wrote.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub threads: usize,
    pub fds: usize,
    pub events: u64,
    /// Events and fds compat mode left out.
    pub left_out_events: u64,
    pub left_out_fds: usize,
    /// Records the kernel side dropped, per CPU.
    pub drops: Vec<u64>,
    /// The command's exit code.
    pub exit_code: Option<i32>,
}

/// Capture the zone while `command` runs, writing to `path`.
pub fn capture(
    path: &Path,
    options: &Options,
    compat: bool,
    command: &[String],
) -> Result<Stats, String> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let run = Run {
        options,
        compat,
        command,
        stream: false,
        workload_stdout_to_stderr: false,
        requests: None,
        end_with_requests: false,
    };
    capture_to(BufWriter::new(file), &path.display().to_string(), &run)
}

/// What to capture and how.
pub struct Run<'a> {
    pub options: &'a Options,
    /// Write what libscap of 2022 reads.
    pub compat: bool,
    pub command: &'a [String],
    /// Flush after every batch of events (the zone link reads as the capture goes).
    pub stream: bool,
    /// Send the command's standard output to this process's standard error (when standard
    /// output is the zone link).
    pub workload_stdout_to_stderr: bool,
    /// Requests while running, e.g. from the zone link.
    pub requests: Option<std::sync::mpsc::Receiver<Request>>,
    /// End the capture, and the command, when `requests` closes: the daemon at the link's
    /// other end is gone, so nobody reads the capture any more.
    pub end_with_requests: bool,
}

/// Capture while `run.command` runs, writing the capture to `out` (named `name` in errors):
/// a file, or the zone link (streaming mode).
pub fn capture_to<W: Write>(out: W, name: &str, run: &Run<'_>) -> Result<Stats, String> {
    let (options, compat, command) = (run.options, run.compat, run.command);
    let (program, args) = command.split_first().ok_or("no command given")?;
    let mut probe = Probe::attach(options).map_err(|e| e.to_string())?;
    let offset = boot_to_epoch_offset();
    let mut w = CaptureWriter::new(out).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("writing {name}: {e}");
    // The snapshot is read while the command waits between its fork and its exec, so that
    // it has the command (the agent's own syscalls, its clone included, are not captured)
    // and the command's own events bring every later change ([`spawn_during_snapshot`]).
    let mut child = Command::new(program);
    child.args(args);
    if run.workload_stdout_to_stderr {
        let err = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| format!("stderr: {e}"))?;
        child.stdout(err);
    }
    let (mut child, state) = spawn_during_snapshot(child).map_err(|e| format!("{program}: {e}"))?;
    let mut stats = Stats::default();
    w.machine(&snapshot::machine()).map_err(io)?;
    w.interfaces(&snapshot::interfaces::interfaces())
        .map_err(io)?;
    state.write(&mut w, compat, &mut stats).map_err(io)?;
    let mut encoder = if compat {
        Encoder::compat()
    } else {
        Encoder::new()
    };
    let mut failure = None;
    let mut write_all = |probe: &mut Probe, w: &mut CaptureWriter<W>, stats: &mut Stats| {
        probe.drain(|r| {
            encoder.encode(r, r.ts_exit + offset, |ev| {
                match w.event(r.cpu as u16, ev) {
                    Ok(()) => stats.events += 1,
                    Err(e) => failure = Some(e.to_string()),
                }
            });
        });
    };
    loop {
        write_all(&mut probe, &mut w, &mut stats);
        let mut link_gone = false;
        while let Some(requests) = &run.requests {
            let request = match requests.try_recv() {
                Ok(request) => request,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    link_gone = run.end_with_requests;
                    break;
                }
            };
            match request {
                // Unknown names are refused as a whole (the error names them); the set stays.
                Request::Syscalls(set) => {
                    if let Err(e) = probe.set_syscalls(&set) {
                        eprintln!("syscall update refused: {e}");
                    }
                }
                // Events already drained come before it, later ones after it.
                Request::Snapshot => {
                    w.section().map_err(io)?;
                    ZoneState::read()
                        .write(&mut w, compat, &mut stats)
                        .map_err(io)?;
                    w.machine(&snapshot::machine()).map_err(io)?;
                    w.interfaces(&snapshot::interfaces::interfaces())
                        .map_err(io)?;
                }
            }
        }
        if run.stream {
            w.flush().map_err(io)?;
        }
        if link_gone {
            // The zone's processes end with it: in a zone's own pid namespace this process is
            // its init, whose end ends them all.
            let _ = child.kill();
            stats.exit_code = child.wait().ok().and_then(|s| s.code());
            break;
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                stats.exit_code = status.code();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    write_all(&mut probe, &mut w, &mut stats);
    stats.left_out_events = encoder.left_out;
    if let Some(e) = failure {
        return Err(format!("writing {name}: {e}"));
    }
    w.finish().map_err(|e| format!("writing {name}: {e}"))?;
    stats.drops = probe.drops();
    Ok(stats)
}

/// Start `command` and read the zone's state while the new process waits between its fork and
/// its exec: the snapshot shows it as the agent's fresh fork, and its exec and everything after
/// come as its events. Read after the exec instead, the snapshot could already show what the
/// command's later events do (under load, a setuid's user on all its earlier events in libsinsp
/// of 2022, whose exec events carry no user).
fn spawn_during_snapshot(mut command: Command) -> std::io::Result<(Child, ZoneState)> {
    let (ready_rx, ready_tx) = std::io::pipe()?;
    let (go_rx, go_tx) = std::io::pipe()?;
    let parent_go_tx = go_tx.as_raw_fd();
    // SAFETY: the hook runs in the forked child before its exec and makes only
    // async-signal-safe system calls (close, write, read) on pipe fds it inherited.
    // `parent_go_tx` is still open then: the reader thread keeps `go_tx` until the child has
    // signalled `ready`, after the fork.
    unsafe {
        command.pre_exec(move || {
            // Without the child's copy of the parent's end, a parent that gives up reads as
            // the end of the pipe rather than leaving the child waiting.
            drop(OwnedFd::from_raw_fd(parent_go_tx));
            (&ready_tx).write_all(&[0])?;
            (&go_rx).read_exact(&mut [0])
        });
    }
    std::thread::scope(|s| {
        let reader = s.spawn(move || {
            (&ready_rx).read_exact(&mut [0]).ok()?;
            let state = ZoneState::read();
            // A child gone meanwhile shows in the spawn's result.
            let _ = (&go_tx).write_all(&[0]);
            Some(state)
        });
        let child = command.spawn();
        // Its copy of `ready_tx`: a spawn that failed before forking ends the reader's wait.
        drop(command);
        let state = reader.join().ok().flatten();
        match (child?, state) {
            (child, Some(state)) => Ok((child, state)),
            (mut child, None) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(std::io::Error::other("the zone's state could not be read"))
            }
        }
    })
}

/// The zone's state for one snapshot: threads, the fds of each thread-group leader, users
/// and groups.
struct ZoneState {
    threads: Vec<ThreadInfo>,
    fds: Vec<(u64, Vec<FdInfo>)>,
    users: Vec<UserInfo>,
    groups: Vec<GroupInfo>,
}

impl ZoneState {
    fn read() -> Self {
        let threads = snapshot::threads();
        let leaders = threads.iter().filter(|t| t.tid == t.pid).map(|t| t.pid);
        let fds = snapshot::fds::fds(leaders);
        let (users, groups) = snapshot::users();
        ZoneState {
            threads,
            fds,
            users,
            groups,
        }
    }

    /// The state blocks; compat mode leaves out the fd types libscap of 2022 does not know.
    fn write<W: Write>(
        self,
        w: &mut CaptureWriter<W>,
        compat: bool,
        stats: &mut Stats,
    ) -> std::io::Result<()> {
        stats.threads = self.threads.len();
        w.process_list(&self.threads)?;
        for (pid, mut fds) in self.fds {
            if compat {
                let before = fds.len();
                fds.retain(|f| f.raw_type <= MAX_FD_TYPE);
                stats.left_out_fds += before - fds.len();
            }
            stats.fds += fds.len();
            w.fd_list(pid, &fds)?;
        }
        w.users(&self.users, &self.groups)
    }
}
