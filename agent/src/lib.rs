//! edera-falco agent (placeholder until its issue starts).
