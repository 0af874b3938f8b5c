//! `k8s.*`: the Kubernetes pod of the event's workload, as Falco's container plugin names it.
//! Under Kubernetes a zone is a pod (its sandbox) and its workloads are the pod's containers;
//! pod name, namespace and uid come from the workload's CRI annotations
//! (`io.kubernetes.pod.*`), the pod's labels from annotations under
//! [`crate::workloads::POD_LABEL_PREFIX`]. The zone's own processes have no pod values but empty sandbox ids, as
//! the container plugin's host entry.

use std::ffi::{CStr, CString};

use falco_plugin::anyhow;

use super::container::{SHORT_ID_LEN, listed_labels, with_workload};
use super::ctx::Req;
use super::value::text;
use crate::plugin::EderaPlugin;
use crate::workloads::char_prefix;

/// The value of one of the workload's annotations; no value outside workloads or without it.
fn annotation(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    key: &str,
) -> anyhow::Result<Option<CString>> {
    with_workload(p, req, |_, _, w| text(w?.annotation(key)?))
}

/// `k8s.pod.name`.
pub fn pod_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    annotation(p, &req, "io.kubernetes.pod.name")
}

/// `k8s.ns.name`.
pub fn ns_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    annotation(p, &req, "io.kubernetes.pod.namespace")
}

/// `k8s.pod.uid`, and the legacy `k8s.pod.id`.
pub fn pod_uid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    annotation(p, &req, "io.kubernetes.pod.uid")
}

/// `k8s.pod.sandbox_id`: the zone id's first 12 characters.
pub fn pod_sandbox_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, z, w| {
        text(w.map_or(String::new(), |_| {
            char_prefix(z.id(), SHORT_ID_LEN).to_owned()
        }))
    })
}

/// `k8s.pod.full_sandbox_id`: the zone id.
pub fn pod_full_sandbox_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, z, w| {
        text(w.map_or(String::new(), |_| z.id().to_owned()))
    })
}

/// `k8s.pod.label[key]`.
pub fn pod_label(p: &mut EderaPlugin, req: Req, key: &CStr) -> anyhow::Result<Option<CString>> {
    let key = key.to_str().unwrap_or_default();
    with_workload(p, &req, |_, _, w| {
        let (_, v) = w?.pod_labels().find(|(k, _)| *k == key)?;
        text(v)
    })
}

/// `k8s.pod.labels`.
pub fn pod_labels(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, w| {
        text(w.map_or(String::new(), |w| listed_labels(w.pod_labels())))
    })
}

/// `k8s.pod.ip`: never a value (the API has no address).
pub fn pod_ip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, _| None)
}
