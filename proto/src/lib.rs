//! edera-falco proto (placeholder until its issue starts).
