//! A zone's workloads (its OCI containers; under Kubernetes the pod's containers), as the
//! protect API describes them (`ListWorkloads`, `WatchEvents`/`WorkloadChanged`), and which one
//! a thread runs in: the workload whose id is a whole component of one of the thread's cgroup
//! paths, as libsinsp's container engines find container ids in cgroups.
//!
//! The daemon and the zones are untrusted: a zone keeps at most [`MAX_WORKLOADS_PER_ZONE`]
//! workloads, each with at most [`MAX_ANNOTATIONS`] annotations and [`MAX_MOUNTS`] mounts, and
//! no string longer than [`MAX_TEXT`] bytes; what does not fit is left out and counted.

use edera_falco_proto::control;
use std::collections::HashMap;
use std::sync::Arc;

/// Most workloads kept per zone.
pub const MAX_WORKLOADS_PER_ZONE: usize = 1024;
/// Most annotations kept per workload.
pub const MAX_ANNOTATIONS: usize = 256;
/// Most mounts kept per workload.
pub const MAX_MOUNTS: usize = 256;
/// Longest string kept (id, name, digest, annotation key or value, mount path); a longer
/// annotation or mount is left out, a longer id refuses the workload, other strings are cut.
pub const MAX_TEXT: usize = 4096;

/// The CRI annotation with the image reference a Kubernetes pod spec names.
pub const CRI_IMAGE_ANNOTATION: &str = "io.kubernetes.cri.image-name";
/// edera-falco's own annotation with the image reference (the stand-in daemon sets it).
pub const EDERA_IMAGE_ANNOTATION: &str = "dev.edera.falco/image";
/// Annotations with this prefix carry the pod's Kubernetes labels (the rest of the key is the
/// label's name): labels are not CRI annotations, so whoever creates the workload puts them here.
pub const POD_LABEL_PREFIX: &str = "dev.edera.falco/pod-label/";

/// One bind mount: a zone path (`MountSpec.host_path`) seen at `dest` inside the workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
}

/// One workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// `Workload.id`.
    pub id: String,
    /// `WorkloadSpec.name`.
    pub name: String,
    /// `WorkloadSpec.image.digest`, e.g. `sha256:...`.
    pub image_digest: String,
    /// `WorkloadSpec.annotations`, in the daemon's order.
    pub annotations: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    /// `WorkloadSecuritySpec.privileged`.
    pub privileged: bool,
    /// The workload shares the zone's pid, network or IPC namespace
    /// (`disable_all_namespaces`, or the namespace in `disable_namespaces`).
    pub host_pid: bool,
    pub host_network: bool,
    pub host_ipc: bool,
    /// `WorkloadStatus.created_at`, ns since the epoch.
    pub created_at_ns: Option<u64>,
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary (zone
/// strings are cut to their caps with it).
pub(crate) fn char_prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Workload {
    /// The workload a daemon message describes, and how many of its parts were left out or
    /// cut to fit the caps. `None` for a workload without a usable id.
    pub fn from_proto(w: &control::Workload) -> Option<(Workload, u64)> {
        if w.id.is_empty() || w.id.len() > MAX_TEXT || w.id.contains('/') {
            return None;
        }
        let mut lost = 0u64;
        let mut text = |s: &str| {
            lost += u64::from(s.len() > MAX_TEXT);
            char_prefix(s, MAX_TEXT).to_string()
        };
        let spec = w.spec.clone().unwrap_or_default();
        let name = text(&spec.name);
        let image_digest = text(&spec.image.map(|i| i.digest).unwrap_or_default());
        let fits = |a: &str, b: &str| a.len() <= MAX_TEXT && b.len() <= MAX_TEXT;
        let annotations: Vec<(String, String)> = spec
            .annotations
            .iter()
            .filter(|a| fits(&a.key, &a.value))
            .take(MAX_ANNOTATIONS)
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect();
        let mounts: Vec<Mount> = spec
            .mounts
            .iter()
            .filter(|m| fits(&m.host_path, &m.target_path))
            .take(MAX_MOUNTS)
            .map(|m| Mount {
                source: m.host_path.clone(),
                dest: m.target_path.clone(),
            })
            .collect();
        lost += (spec.annotations.len() - annotations.len()) as u64;
        lost += (spec.mounts.len() - mounts.len()) as u64;
        let security = spec.security.unwrap_or_default();
        let shares = |ns: control::ProcessNamespace| {
            security.disable_all_namespaces || security.disable_namespaces.contains(&(ns as i32))
        };
        let created_at_ns = w
            .status
            .as_ref()
            .and_then(|s| s.created_at.as_ref())
            .and_then(|t| {
                let secs = u64::try_from(t.seconds).ok()?;
                let nanos = u64::try_from(t.nanos).ok()?;
                secs.checked_mul(1_000_000_000)?.checked_add(nanos)
            });
        let workload = Workload {
            id: w.id.clone(),
            name,
            image_digest,
            annotations,
            mounts,
            privileged: security.privileged,
            host_pid: shares(control::ProcessNamespace::Pid),
            host_network: shares(control::ProcessNamespace::Net),
            host_ipc: shares(control::ProcessNamespace::Ipc),
            created_at_ns,
        };
        Some((workload, lost))
    }

    /// The value of annotation `key` (the first one, if the daemon repeated it).
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The image reference from the annotations ([`CRI_IMAGE_ANNOTATION`], then
    /// [`EDERA_IMAGE_ANNOTATION`]), if one names it.
    pub fn image_reference(&self) -> Option<&str> {
        [CRI_IMAGE_ANNOTATION, EDERA_IMAGE_ANNOTATION]
            .into_iter()
            .find_map(|k| self.annotation(k).filter(|v| !v.is_empty()))
    }

    /// The pod's labels: annotations under [`POD_LABEL_PREFIX`], the prefix removed.
    pub fn pod_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.annotations.iter().filter_map(|(k, v)| {
            k.strip_prefix(POD_LABEL_PREFIX)
                .filter(|k| !k.is_empty())
                .map(|k| (k, v.as_str()))
        })
    }
}

/// What changed in a zone's workload table, from the protect API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadChange {
    /// A workload was listed or changed (and is not destroyed).
    Changed(Box<Workload>),
    /// The workload with this id is destroyed.
    Removed(String),
}

/// The workloads of one zone, by id.
#[derive(Debug, Clone, Default)]
pub struct WorkloadTable {
    by_id: HashMap<String, Arc<Workload>, foldhash::fast::RandomState>,
    /// Workloads refused because the table was full, and parts of workloads left out or cut
    /// (annotations, mounts, strings over the caps).
    pub clipped: u64,
}

impl WorkloadTable {
    /// Apply one change; a new workload beyond [`MAX_WORKLOADS_PER_ZONE`] is refused and counted.
    pub fn apply(&mut self, change: WorkloadChange) {
        match change {
            WorkloadChange::Changed(w) => {
                if self.by_id.len() >= MAX_WORKLOADS_PER_ZONE && !self.by_id.contains_key(&w.id) {
                    self.clipped += 1;
                    return;
                }
                self.by_id.insert(w.id.clone(), Arc::new(*w));
            }
            WorkloadChange::Removed(id) => {
                self.by_id.remove(&id);
            }
        }
    }

    /// Number of workloads.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the zone has no workload.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The workload whose id is a whole `/`-separated component of one of these cgroup paths
    /// (the first path, then the deepest component, that names one).
    pub fn of_cgroups(&self, cgroups: &[(Vec<u8>, Vec<u8>)]) -> Option<&Arc<Workload>> {
        cgroups
            .iter()
            .find_map(|(_, path)| self.of_cgroup_path(path))
    }

    /// The workload whose id is a whole `/`-separated component of the cgroup path `path` (the
    /// deepest component that names one).
    pub fn of_cgroup_path(&self, path: &[u8]) -> Option<&Arc<Workload>> {
        if self.by_id.is_empty() {
            return None;
        }
        path.split(|&b| b == b'/')
            .rev()
            .filter(|c| !c.is_empty())
            .find_map(|c| self.by_id.get(std::str::from_utf8(c).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use control::{
        AnnotationSpec, MountSpec, OciImageSpec, ProcessNamespace, WorkloadSecuritySpec,
        WorkloadSpec, WorkloadStatus,
    };

    fn proto(id: &str) -> control::Workload {
        control::Workload {
            id: id.into(),
            spec: Some(WorkloadSpec {
                name: "web".into(),
                image: Some(OciImageSpec {
                    digest: "sha256:0123".into(),
                    ..Default::default()
                }),
                annotations: vec![AnnotationSpec {
                    key: "io.kubernetes.pod.name".into(),
                    value: "nginx-1".into(),
                }],
                mounts: vec![MountSpec {
                    host_path: "/var/run/docker.sock".into(),
                    target_path: "/sock".into(),
                }],
                security: Some(WorkloadSecuritySpec {
                    privileged: true,
                    disable_namespaces: vec![ProcessNamespace::Net as i32],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            status: Some(WorkloadStatus {
                created_at: Some(prost_types::Timestamp {
                    seconds: 5,
                    nanos: 7,
                }),
                ..Default::default()
            }),
        }
    }

    fn table(ids: &[&str]) -> WorkloadTable {
        let mut t = WorkloadTable::default();
        for id in ids {
            let (w, _) = Workload::from_proto(&proto(id)).unwrap();
            t.apply(WorkloadChange::Changed(Box::new(w)));
        }
        t
    }

    fn cg(paths: &[&str]) -> Vec<(Vec<u8>, Vec<u8>)> {
        paths
            .iter()
            .map(|p| (b"memory".to_vec(), p.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn the_daemon_description_is_kept() {
        let (w, lost) = Workload::from_proto(&proto("abc")).unwrap();
        assert_eq!(lost, 0);
        assert_eq!(w.name, "web");
        assert_eq!(w.image_digest, "sha256:0123");
        assert_eq!(w.annotation("io.kubernetes.pod.name"), Some("nginx-1"));
        assert_eq!(
            w.mounts,
            vec![Mount {
                source: "/var/run/docker.sock".into(),
                dest: "/sock".into()
            }]
        );
        assert!(w.privileged && w.host_network && !w.host_pid && !w.host_ipc);
        assert_eq!(w.created_at_ns, Some(5_000_000_007));
        assert!(Workload::from_proto(&proto("")).is_none());
        assert!(Workload::from_proto(&proto("a/b")).is_none());
    }

    #[test]
    fn disabling_all_namespaces_shares_each() {
        let mut p = proto("abc");
        p.spec.as_mut().unwrap().security = Some(WorkloadSecuritySpec {
            disable_all_namespaces: true,
            ..Default::default()
        });
        let (w, _) = Workload::from_proto(&p).unwrap();
        assert!(w.host_pid && w.host_network && w.host_ipc && !w.privileged);
    }

    #[test]
    fn image_reference_prefers_the_cri_annotation() {
        let mut w = Workload::default();
        assert_eq!(w.image_reference(), None);
        w.annotations
            .push((EDERA_IMAGE_ANNOTATION.into(), "busybox:1".into()));
        assert_eq!(w.image_reference(), Some("busybox:1"));
        w.annotations.push((
            CRI_IMAGE_ANNOTATION.into(),
            "docker.io/library/nginx:1.25".into(),
        ));
        assert_eq!(w.image_reference(), Some("docker.io/library/nginx:1.25"));
    }

    #[test]
    fn oversized_parts_are_left_out_and_counted() {
        let mut p = proto("abc");
        let spec = p.spec.as_mut().unwrap();
        spec.annotations = (0..MAX_ANNOTATIONS + 3)
            .map(|i| AnnotationSpec {
                key: format!("k{i}"),
                value: String::new(),
            })
            .collect();
        spec.annotations.push(AnnotationSpec {
            key: "big".into(),
            value: "x".repeat(MAX_TEXT + 1),
        });
        spec.name = "é".repeat(MAX_TEXT);
        let (w, lost) = Workload::from_proto(&p).unwrap();
        assert_eq!(w.annotations.len(), MAX_ANNOTATIONS);
        assert!(w.name.len() <= MAX_TEXT);
        // 3 annotations over the count, the big one, the long name.
        assert_eq!(lost, 5);
    }

    #[test]
    fn a_full_table_refuses_new_workloads() {
        let mut t = WorkloadTable::default();
        for i in 0..MAX_WORKLOADS_PER_ZONE + 2 {
            let w = Workload {
                id: format!("w{i}"),
                ..Workload::default()
            };
            t.apply(WorkloadChange::Changed(Box::new(w)));
        }
        assert_eq!(t.len(), MAX_WORKLOADS_PER_ZONE);
        assert_eq!(t.clipped, 2);
        // A known one can still change; a removed one makes room.
        t.apply(WorkloadChange::Changed(Box::new(Workload {
            id: "w0".into(),
            name: "new".into(),
            ..Workload::default()
        })));
        assert_eq!(t.clipped, 2);
        t.apply(WorkloadChange::Removed("w1".into()));
        assert_eq!(t.len(), MAX_WORKLOADS_PER_ZONE - 1);
    }

    #[test]
    fn threads_map_to_the_workload_named_by_a_cgroup_component() {
        let t = table(&["3ad7b26ded6d8e7b", "other"]);
        // cgroup v1 and v2 lines as /proc/PID/cgroup gives them.
        let w = t
            .of_cgroups(&cg(&["/", "/edera/3ad7b26ded6d8e7b"]))
            .unwrap();
        assert_eq!(w.id, "3ad7b26ded6d8e7b");
        let w = t.of_cgroups(&cg(&["/other/sub"])).unwrap();
        assert_eq!(w.id, "other");
        // A component must be the whole id: neither a prefix nor a longer name matches.
        assert!(t.of_cgroups(&cg(&["/3ad7b26ded6d"])).is_none());
        assert!(t.of_cgroups(&cg(&["/x-3ad7b26ded6d8e7b.scope"])).is_none());
        assert!(t.of_cgroups(&cg(&["/", "/user.slice"])).is_none());
        assert!(t.of_cgroups(&[]).is_none());
    }

    #[test]
    fn removed_workloads_no_longer_match() {
        let mut t = table(&["abc"]);
        assert!(t.of_cgroups(&cg(&["/abc"])).is_some());
        t.apply(WorkloadChange::Removed("abc".into()));
        assert!(t.of_cgroups(&cg(&["/abc"])).is_none());
        assert!(t.is_empty());
    }
}
