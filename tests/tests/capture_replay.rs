//! `capture -w` on the real kernel, then the file replayed through the plugin `.so`: the
//! workload's file operations come out with the right event types, paths, fds, data and
//! results.

use edera_falco_agent::capture::capture;
use edera_falco_agent::probe::Options;
use edera_falco_harness::fixtures::replay_fields as replay;

#[test]
fn captured_file_replays_through_the_plugin() {
    let dir = std::env::temp_dir().join(format!("edera-agent-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("written.txt");
    let missing = dir.join("missing.txt");
    let out = dir.join("capture.scap");
    let script = format!(
        "printf hello > {f}; cat {f} > /dev/null; cat {m} 2>/dev/null",
        f = file.display(),
        m = missing.display()
    );
    let syscalls = [
        "openat", "write", "read", "close", "dup2", "execve", "clone", "clone3", "fork", "vfork",
    ];
    let options = Options {
        ring_bytes: 8 << 20,
        syscalls: syscalls.map(String::from).to_vec(),
        procexit: true,
        pidns: None,
    };
    let stats = match capture(&out, &options, false, &["sh".into(), "-c".into(), script]) {
        Ok(s) => s,
        Err(e) if e.contains("eBPF") || e.contains("loading") || e.contains("attach") => {
            eprintln!("skipping: cannot attach the probe (root and eBPF needed): {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(stats.threads > 1 && stats.events > 0, "{stats:?}");
    assert_eq!(stats.drops.iter().sum::<u64>(), 0);

    let own_comm = std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim()
        .to_string();
    let (mut created, mut failed, mut read, mut wrote) = (false, false, false, false);
    replay(&out, |f| {
        let ty = f("syscall.type");
        let name = f("evt.arg.name");
        if ty == "openat" && name == file.display().to_string() && f("proc.name") == "sh" {
            // The shell opens the file for the redirection; it was started by this test
            // process (in the snapshot), whose own activity the agent does not capture.
            created |= f("fd.name") == name
                && f("fd.typechar") == "f"
                && f("proc.cmdline").starts_with("sh -c printf hello")
                && f("proc.pname") == own_comm
                && f("user.name") == "root";
        }
        if ty == "openat" && name == missing.display().to_string() {
            failed |= f("evt.arg.fd") == "ENOENT";
        }
        // The shell writes to fd 1 after a dup2 of the file's fd: the plugin's fd table
        // follows the dup2.
        if ty == "write" && f("fd.name") == file.display().to_string() {
            wrote |= f("evt.arg.data") == "hello" && f("fd.num") == "1" && f("proc.name") == "sh";
        }
        if ty == "read" && f("fd.name") == file.display().to_string() {
            read |= f("evt.arg.data") == "hello" && f("evt.arg.res") == "5";
        }
    });
    assert!(
        created,
        "the shell's openat of the new file with fd name, process, parent and user"
    );
    assert!(failed, "openat of the missing file failing with ENOENT");
    assert!(read, "cat's read of the file with its data and size");
    assert!(
        wrote,
        "the shell's write to the file through fd 1 after dup2"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
