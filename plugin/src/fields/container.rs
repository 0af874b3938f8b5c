//! `container.*`: the workload (OCI container) the event's thread runs in, with the names, types
//! and value forms of Falco's container plugin. Which workload is decided by
//! [`crate::workloads::WorkloadTable::of_cgroups`] (init config `workload_match`); a thread in
//! no workload is the zone's own and reads like the container plugin's host entry: id, name and
//! type `host`, empty strings and false elsewhere, no value for per-mount, per-label and time
//! fields.

use std::ffi::{CStr, CString};
use std::time::Duration;

use falco_plugin::anyhow;

use super::ctx::{Ctx, Req, with_event};
use super::types::{AbsTime, abstime_ns};
use super::value::text;
use crate::config::WorkloadMatch;
use crate::plugin::EderaPlugin;
use crate::workloads::{Mount, Workload, char_prefix};
use crate::zones::Zone;

/// What `container.id`, `container.name` and `container.type` read outside workloads.
pub(crate) const HOST: &str = "host";
/// Length of the short ids (`container.id`, `k8s.pod.sandbox_id`), as the container plugin.
pub(crate) const SHORT_ID_LEN: usize = 12;
/// Label keys `container.labels` and `k8s.pod.labels` leave out, as the container plugin does
/// (annotations and Kubernetes' internal labels), and edera-falco's own annotations.
const UNLISTED_LABEL_PREFIXES: [&str; 3] = ["annotation.", "io.kubernetes.", "dev.edera.falco/"];

/// Runs `f` on the event's zone and the workload its thread runs in (`None`: the zone's own
/// process); no value when the event has no known thread.
pub(crate) fn with_workload<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>, &Zone, Option<&Workload>) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    with_event(p, req, |c| {
        let zone = c.zone?;
        let thread = c.thread()?;
        let workload = match c.plugin.config.workload_match {
            WorkloadMatch::Cgroup => zone.workloads.of_cgroups(&thread.cgroups),
            WorkloadMatch::None => None,
        };
        f(c, zone, workload.map(|w| &**w))
    })
}

/// A workload string, or `host_value` for the zone's own processes.
fn string_or(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    host_value: &str,
    value: impl FnOnce(&Workload) -> String,
) -> anyhow::Result<Option<CString>> {
    with_workload(p, req, |_, _, w| {
        text(w.map_or(host_value.to_owned(), value))
    })
}

/// An image reference split as the container plugin shows it: (repository, tag, digest).
/// `registry:5000/ns/app:1.2@sha256:ab` is (`registry:5000/ns/app`, `1.2`, `sha256:ab`).
fn split_image(reference: &str) -> (&str, &str, &str) {
    let (name, digest) = reference.split_once('@').unwrap_or((reference, ""));
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].rfind(':') {
        Some(i) => (&name[..last + i], &name[last + i + 1..], digest),
        None => (name, "", digest),
    }
}

/// `container.image`: the image reference, else the image digest.
pub fn image(w: &Workload) -> String {
    w.image_reference()
        .unwrap_or(w.image_digest.as_str())
        .to_owned()
}

/// `container.image.digest`: the workload's image digest, else the reference's.
fn image_digest(w: &Workload) -> &str {
    if w.image_digest.is_empty() {
        w.image_reference().map_or("", |r| split_image(r).2)
    } else {
        &w.image_digest
    }
}

/// Labels as the container plugin lists them: `key:value` (`key` alone for an empty value)
/// joined with `, `, internal keys left out.
pub(crate) fn listed_labels<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in labels {
        if UNLISTED_LABEL_PREFIXES.iter().any(|p| k.starts_with(p)) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push(':');
            out.push_str(v);
        }
    }
    out
}

/// A mount as the container plugin writes it: `source:dest:mode:rdwr:propagation`. The API
/// gives neither mode nor propagation (empty), and its mounts are writable (`true`).
fn mount_text(m: &Mount) -> String {
    format!("{}:{}::true:", m.source, m.dest)
}

/// Whether `text` matches the glob `pattern` as a whole: `*` any run of characters, `?` any
/// one character, everything else itself.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Which side of a mount a key is matched against.
#[derive(Clone, Copy)]
enum MountKey {
    Source,
    Dest,
}

/// The mount an argument selects: all digits, by position (from 0); otherwise the first whose
/// `by` side matches the argument as a glob.
fn mount_of<'w>(w: &'w Workload, arg: &CStr, by: MountKey) -> Option<&'w Mount> {
    let arg = arg.to_bytes();
    if !arg.is_empty() && arg.iter().all(u8::is_ascii_digit) {
        let i: usize = std::str::from_utf8(arg).ok()?.parse().ok()?;
        return w.mounts.get(i);
    }
    w.mounts.iter().find(|m| {
        let side = match by {
            MountKey::Source => &m.source,
            MountKey::Dest => &m.dest,
        };
        glob_match(arg, side.as_bytes())
    })
}

/// A value of the mount `arg` selects (matched on `by`); no value outside workloads or when
/// no mount matches.
fn mount_field(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    arg: &CStr,
    by: MountKey,
    value: impl FnOnce(&Mount) -> String,
) -> anyhow::Result<Option<CString>> {
    with_workload(p, req, |_, _, w| text(value(mount_of(w?, arg, by)?)))
}

/// `container.id`.
pub fn id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, HOST, |w| {
        char_prefix(&w.id, SHORT_ID_LEN).to_owned()
    })
}

/// `container.full_id`.
pub fn full_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, HOST, |w| w.id.clone())
}

/// `container.name`.
pub fn name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, HOST, |w| w.name.clone())
}

/// `container.image`.
pub fn image_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", image)
}

/// `container.image.id`: the digest's hex, first 12 characters.
pub fn image_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| {
        let digest = image_digest(w);
        let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
        char_prefix(hex, SHORT_ID_LEN).to_owned()
    })
}

/// `container.image.repository`.
pub fn image_repository(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| {
        w.image_reference()
            .map_or("", |r| split_image(r).0)
            .to_owned()
    })
}

/// `container.image.tag`.
pub fn image_tag(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| {
        w.image_reference()
            .map_or("", |r| split_image(r).1)
            .to_owned()
    })
}

/// `container.image.digest`.
pub fn image_digest_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| image_digest(w).to_owned())
}

/// `container.type`.
pub fn type_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, HOST, |_| "edera".to_owned())
}

/// `container.privileged`.
pub fn privileged(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_workload(p, &req, |_, _, w| Some(w.is_some_and(|w| w.privileged)))
}

/// `container.host_pid`.
pub fn host_pid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_workload(p, &req, |_, _, w| Some(w.is_some_and(|w| w.host_pid)))
}

/// `container.host_network`.
pub fn host_network(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_workload(p, &req, |_, _, w| Some(w.is_some_and(|w| w.host_network)))
}

/// `container.host_ipc`.
pub fn host_ipc(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_workload(p, &req, |_, _, w| Some(w.is_some_and(|w| w.host_ipc)))
}

/// `container.mounts`: every mount, joined with `,` as the container plugin joins them.
pub fn mounts(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| {
        w.mounts
            .iter()
            .map(mount_text)
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// `container.mount[idx|source]`.
pub fn mount(p: &mut EderaPlugin, req: Req, arg: &CStr) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Source, mount_text)
}

/// `container.mount.source[idx|dest]`.
pub fn mount_source(p: &mut EderaPlugin, req: Req, arg: &CStr) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Dest, |m| m.source.clone())
}

/// `container.mount.dest[idx|source]`.
pub fn mount_dest(p: &mut EderaPlugin, req: Req, arg: &CStr) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Source, |m| m.dest.clone())
}

/// `container.mount.mode[idx|source]`: empty, the API has no mount mode.
pub fn mount_mode(p: &mut EderaPlugin, req: Req, arg: &CStr) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Source, |_| String::new())
}

/// `container.mount.rdwr[idx|source]`.
pub fn mount_rdwr(p: &mut EderaPlugin, req: Req, arg: &CStr) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Source, |_| "true".to_owned())
}

/// `container.mount.propagation[idx|source]`: empty, the API has no propagation.
pub fn mount_propagation(
    p: &mut EderaPlugin,
    req: Req,
    arg: &CStr,
) -> anyhow::Result<Option<CString>> {
    mount_field(p, &req, arg, MountKey::Source, |_| String::new())
}

/// `container.start_ts`: when the daemon created the workload.
pub fn start_ts(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<AbsTime>> {
    with_workload(p, &req, |_, _, w| w?.created_at_ns.map(abstime_ns))
}

/// `container.duration`: event time minus `container.start_ts`; no value before it.
pub fn duration(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_workload(p, &req, |c, _, w| {
        let since = c.raw.header.ts.checked_sub(w?.created_at_ns?)?;
        Some(Duration::from_nanos(since))
    })
}

/// `container.ip`: never a value (the API has no address).
pub fn ip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, _| None)
}

/// `container.label[key]`: the annotation's value.
pub fn label(p: &mut EderaPlugin, req: Req, key: &CStr) -> anyhow::Result<Option<CString>> {
    let key = key.to_str().unwrap_or_default();
    with_workload(p, &req, |_, _, w| text(w?.annotation(key)?))
}

/// `container.labels`.
pub fn labels(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    string_or(p, &req, "", |w| {
        listed_labels(w.annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_repository_tag_and_digest() {
        // The container plugin's examples: falcosecurity/falco:latest is repository
        // falcosecurity/falco, tag latest.
        assert_eq!(
            split_image("falcosecurity/falco:latest"),
            ("falcosecurity/falco", "latest", "")
        );
        assert_eq!(
            split_image("docker.io/library/nginx:1.25"),
            ("docker.io/library/nginx", "1.25", "")
        );
        // A registry port is not a tag.
        assert_eq!(
            split_image("registry:5000/app"),
            ("registry:5000/app", "", "")
        );
        assert_eq!(
            split_image("registry:5000/ns/app:1.2@sha256:ab"),
            ("registry:5000/ns/app", "1.2", "sha256:ab")
        );
        assert_eq!(split_image("busybox"), ("busybox", "", ""));
    }

    #[test]
    fn image_falls_back_to_the_digest() {
        let mut w = Workload {
            image_digest: "sha256:d977378f890d445c".into(),
            ..Workload::default()
        };
        assert_eq!(image(&w), "sha256:d977378f890d445c");
        assert_eq!(image_digest(&w), "sha256:d977378f890d445c");
        w.annotations.push((
            crate::workloads::EDERA_IMAGE_ANNOTATION.into(),
            "alpine:3@sha256:99".into(),
        ));
        assert_eq!(image(&w), "alpine:3@sha256:99");
        w.image_digest.clear();
        assert_eq!(image_digest(&w), "sha256:99");
    }

    #[test]
    fn labels_list_as_the_container_plugin_lists_them() {
        let labels = [
            ("app", "web"),
            ("io.kubernetes.pod.name", "p"),
            ("annotation.x", "1"),
            ("dev.edera.falco/image", "alpine"),
            ("flag", ""),
            ("tier", "front"),
        ];
        assert_eq!(
            listed_labels(labels.into_iter()),
            "app:web, flag, tier:front"
        );
        assert_eq!(listed_labels(std::iter::empty()), "");
    }

    #[test]
    fn mounts_read_source_dest_mode_rdwr_propagation() {
        let m = Mount {
            source: "/var/run/docker.sock".into(),
            dest: "/run/docker.sock".into(),
        };
        assert_eq!(
            mount_text(&m),
            "/var/run/docker.sock:/run/docker.sock::true:"
        );
    }

    #[test]
    fn mounts_are_selected_by_index_or_glob() {
        let w = Workload {
            mounts: vec![
                Mount {
                    source: "/proc".into(),
                    dest: "/host/proc".into(),
                },
                Mount {
                    source: "/root/.ssh".into(),
                    dest: "/keys".into(),
                },
            ],
            ..Workload::default()
        };
        let by = |a: &CStr, k| mount_of(&w, a, k).map(|m| m.dest.as_str());
        assert_eq!(by(c"0", MountKey::Source), Some("/host/proc"));
        assert_eq!(by(c"1", MountKey::Source), Some("/keys"));
        assert_eq!(by(c"2", MountKey::Source), None);
        assert_eq!(by(c"/proc*", MountKey::Source), Some("/host/proc"));
        assert_eq!(by(c"/root*", MountKey::Source), Some("/keys"));
        assert_eq!(by(c"/etc", MountKey::Source), None);
        // The whole source must match: / selects only a mount of / itself.
        assert_eq!(by(c"/", MountKey::Source), None);
        assert_eq!(by(c"/keys", MountKey::Dest), Some("/keys"));
        assert_eq!(by(c"/host/*", MountKey::Dest), Some("/host/proc"));
    }

    #[test]
    fn globs_match_whole_strings() {
        assert!(glob_match(b"/root*", b"/root"));
        assert!(glob_match(b"/root*", b"/root/x"));
        assert!(!glob_match(b"/root*", b"/roo"));
        assert!(glob_match(b"/a?c", b"/abc"));
        assert!(glob_match(b"*.sock", b"/var/run/docker.sock"));
        assert!(glob_match(b"/a*b*c", b"/a-b-b-c"));
        assert!(!glob_match(b"/a*b*c", b"/a-b-b-d"));
        assert!(glob_match(b"", b""));
        assert!(!glob_match(b"", b"x"));
    }

    #[test]
    fn short_ids_are_the_first_twelve_characters() {
        assert_eq!(
            char_prefix(
                "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e",
                SHORT_ID_LEN
            ),
            "3ad7b26ded6d"
        );
        assert_eq!(char_prefix("short", SHORT_ID_LEN), "short");
    }
}
