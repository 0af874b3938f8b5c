//! How Falco prints a plugin field's value in its JSON output, so the plugin's values can be
//! compared with the Falco 0.45 oracle as text: integers in decimal, booleans as true/false,
//! times as nanoseconds, addresses in their usual notation, ip networks as libsinsp's
//! `<IPNET>` placeholder, lists as `(a,b)`.

use falco_plugin_runner::ExtractedField;

pub fn text(v: &ExtractedField) -> Option<String> {
    Some(match v {
        ExtractedField::None => return None,
        ExtractedField::U64(n) => n.to_string(),
        ExtractedField::Bool(b) => b.to_string(),
        ExtractedField::RelTime(d) => d.as_nanos().to_string(),
        ExtractedField::AbsTime(t) => t
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos().to_string())
            .unwrap_or_default(),
        ExtractedField::String(s) => s.to_string_lossy().into_owned(),
        ExtractedField::IpAddr(a) => a.to_string(),
        ExtractedField::IpNet(_) => "<IPNET>".to_string(),
        ExtractedField::Vec(items) => {
            let parts: Vec<String> = items.iter().map(|i| text(i).unwrap_or_default()).collect();
            format!("({})", parts.join(","))
        }
    })
}
