//! User list blocks (UL 0x206, UL_V2 0x220): users and groups.
//!
//! Entries follow one another until fewer than 4 bytes are left. Each is `{type: u8}` then, for
//! type 0 (user), `{uid: u32, gid: u32}` and three u16-length strings (name, home directory,
//! shell); for any other type (group), `{gid: u32}` and the name. Strings must be shorter than
//! 256 bytes. V2 entries start with a u32 length that counts the whole entry, itself included;
//! bytes after the known fields are skipped.

use super::cursor::{Cursor, c_str};
use super::entry::entry;
use super::error::Result;
use super::limits::Limits;
use super::model::{GroupInfo, UserInfo};

/// libscap's `MAX_CREDENTIALS_STR_LEN` is 256, and a string must leave room for its NUL.
const MAX_CRED: u16 = 255;

/// One entry of a user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserEntry {
    User(UserInfo),
    Group(GroupInfo),
}

/// Parses the next entry of a user list body.
pub(crate) fn next_entry(c: &mut Cursor<'_>, v2: bool, limits: &Limits) -> Result<UserEntry> {
    let max = limits.max_string_bytes;
    entry(c, v2, "user list entry", |c, _bounded| {
        let kind = c.u8("user list entry type")?;
        if kind == 0 {
            Ok(UserEntry::User(UserInfo {
                uid: c.u32("uid")?,
                gid: c.u32("gid")?,
                name: c_str(c.string16("user name", MAX_CRED, max)?),
                homedir: c_str(c.string16("user home directory", MAX_CRED, max)?),
                shell: c_str(c.string16("user shell", MAX_CRED, max)?),
            }))
        } else {
            Ok(UserEntry::Group(GroupInfo {
                gid: c.u32("gid")?,
                name: c_str(c.string16("group name", MAX_CRED, max)?),
            }))
        }
    })
}
