//! The checked-in event listing of `--compat` mode is what the installed sysdig 0.29.3 says
//! (`sysdig -L`); skipped with the reason when sysdig is not installed.

#[test]
fn the_compat_listing_is_sysdigs() {
    let out = match std::process::Command::new("sysdig").arg("-L").output() {
        Ok(o) if o.status.success() => o.stdout,
        _ => {
            eprintln!("skipping: sysdig is not installed (./run test installs it)");
            return;
        }
    };
    let version = std::process::Command::new("sysdig")
        .arg("--version")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    if !String::from_utf8_lossy(&version).contains("0.29.3") {
        eprintln!(
            "skipping: the listing is of sysdig 0.29.3, not {}",
            String::from_utf8_lossy(&version).trim()
        );
        return;
    }
    let listed = include_str!("../compat/sysdig-0.29.3-events.txt");
    let checked_in: Vec<&str> = listed.lines().filter(|l| !l.starts_with('#')).collect();
    let live = String::from_utf8_lossy(&out);
    assert_eq!(checked_in, live.lines().collect::<Vec<_>>());
}
