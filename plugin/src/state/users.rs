//! A zone's users and groups (uid → name, home, shell; gid → name), as libsinsp's user/group
//! manager keeps the host's ones.
//!
//! Seeded from the snapshot's user list, then updated by `useradded`/`userdeleted`/
//! `groupadded`/`groupdeleted` events and by the uids and gids threads take. Differences from a
//! live libsinsp, on purpose: entries are never looked up in the passwd/group databases of the
//! machine running Falco (they belong to the host, not to the zone), and entries scoped to a
//! container id are not kept (libsinsp would read them from the container's own files, which a
//! replay cannot reach either). A uid 0 or gid 0 first seen on a thread gets libsinsp's built-in
//! `root` entry.

use foldhash::HashMap;

/// libsinsp's size for names (`MAX_CREDENTIALS_STR_LEN`, with the terminator).
const NAME_MAX: usize = 256;
/// libsinsp's size for home and shell (`SCAP_MAX_PATH_SIZE`, with the terminator).
const PATH_MAX: usize = 1024;

/// One user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub name: Vec<u8>,
    pub homedir: Vec<u8>,
    pub shell: Vec<u8>,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroup {
    pub gid: u32,
    pub name: Vec<u8>,
}

/// What a user or group record carries when it is added (absent parts read `<NA>`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    pub name: Option<&'a [u8]>,
    pub home: Option<&'a [u8]>,
    pub shell: Option<&'a [u8]>,
}

fn bounded(s: Option<&[u8]>, max: usize) -> Vec<u8> {
    let s = s.unwrap_or(b"<NA>");
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    s[..s.len().min(max - 1)].to_vec()
}

/// NSS compat entries (`+name`, `-name`) are ignored, as libsinsp does.
fn is_nss(name: Option<&[u8]>) -> bool {
    matches!(name.and_then(|n| n.first()), Some(b'+' | b'-'))
}

/// The users of one zone, bounded.
#[derive(Debug, Clone, Default)]
pub struct Users {
    map: HashMap<u32, User>,
    max: usize,
    /// Additions refused because the table was full.
    pub refused: u64,
}

impl Users {
    pub fn new(max: usize) -> Users {
        Users {
            map: HashMap::default(),
            max,
            refused: 0,
        }
    }

    /// The user `uid`.
    pub fn get(&self, uid: u32) -> Option<&User> {
        self.map.get(&uid)
    }

    /// A user record (snapshot entry or `useradded`): updates name, home and shell of a known
    /// uid, else adds it. `container` non-empty: not kept (see the module doc).
    pub fn add(&mut self, container: &[u8], uid: u32, gid: u32, n: Names<'_>) {
        if is_nss(n.name) || !container.is_empty() {
            return;
        }
        if let Some(u) = self.map.get_mut(&uid) {
            if n.name.is_some() {
                u.name = bounded(n.name, NAME_MAX);
                u.homedir = bounded(n.home, PATH_MAX);
                u.shell = bounded(n.shell, PATH_MAX);
            }
            return;
        }
        if n.name.is_none() {
            return;
        }
        if self.map.len() >= self.max {
            self.refused += 1;
            return;
        }
        let user = User {
            uid,
            gid,
            name: bounded(n.name, NAME_MAX),
            homedir: bounded(n.home, PATH_MAX),
            shell: bounded(n.shell, PATH_MAX),
        };
        self.map.insert(uid, user);
    }

    /// A thread took `uid` (libsinsp's `add_user` without names): only uid 0 gets an entry
    /// (`root`, `/root`, no shell) when there is none.
    pub fn seen(&mut self, uid: u32, gid: u32) {
        if uid == 0 && !self.map.contains_key(&0) {
            let n = Names {
                name: Some(b"root"),
                home: Some(b"/root"),
                shell: None,
            };
            self.add(b"", 0, gid, n);
        }
    }

    /// `userdeleted`.
    pub fn remove(&mut self, container: &[u8], uid: u32) {
        if container.is_empty() {
            self.map.remove(&uid);
        }
    }
}

/// The groups of one zone, bounded.
#[derive(Debug, Clone, Default)]
pub struct UserGroups {
    map: HashMap<u32, UserGroup>,
    max: usize,
    /// Additions refused because the table was full.
    pub refused: u64,
}

impl UserGroups {
    pub fn new(max: usize) -> UserGroups {
        UserGroups {
            map: HashMap::default(),
            max,
            refused: 0,
        }
    }

    /// The group `gid`.
    pub fn get(&self, gid: u32) -> Option<&UserGroup> {
        self.map.get(&gid)
    }

    /// A group record (snapshot entry or `groupadded`).
    pub fn add(&mut self, container: &[u8], gid: u32, name: Option<&[u8]>) {
        if is_nss(name) || !container.is_empty() {
            return;
        }
        if let Some(g) = self.map.get_mut(&gid) {
            if name.is_some() {
                g.name = bounded(name, NAME_MAX);
            }
            return;
        }
        if name.is_none() {
            return;
        }
        if self.map.len() >= self.max {
            self.refused += 1;
            return;
        }
        let g = UserGroup {
            gid,
            name: bounded(name, NAME_MAX),
        };
        self.map.insert(gid, g);
    }

    /// A thread took `gid`: only gid 0 gets an entry (`root`) when there is none.
    pub fn seen(&mut self, gid: u32) {
        if gid == 0 && !self.map.contains_key(&0) {
            self.add(b"", 0, Some(b"root"));
        }
    }

    /// `groupdeleted`.
    pub fn remove(&mut self, container: &[u8], gid: u32) {
        if container.is_empty() {
            self.map.remove(&gid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_follow_libsinsp() {
        let mut u = Users::new(2);
        let n = |s: &'static [u8]| Names {
            name: Some(s),
            home: Some(b"/h"),
            shell: None,
        };
        u.add(b"", 1000, 1000, n(b"alice"));
        assert_eq!(u.get(1000).unwrap().shell, b"<NA>");
        u.add(b"", 1000, 5, n(b"bob"));
        assert_eq!(
            (
                u.get(1000).unwrap().name.as_slice(),
                u.get(1000).unwrap().gid
            ),
            (&b"bob"[..], 1000)
        );
        u.add(b"", 7, 7, n(b"+nis"));
        u.add(b"abc", 8, 8, n(b"c"));
        assert!(u.get(7).is_none() && u.get(8).is_none());
        u.seen(0, 0);
        assert_eq!(u.get(0).unwrap().homedir, b"/root");
        u.add(b"", 9, 9, n(b"full"));
        assert_eq!(u.refused, 1);
        u.remove(b"", 1000);
        assert!(u.get(1000).is_none());
        let mut g = UserGroups::new(4);
        g.seen(0);
        g.add(b"", 5, Some(&[b'x'; 300]));
        assert_eq!(g.get(5).unwrap().name.len(), 255);
        assert_eq!(g.get(0).unwrap().name, b"root");
    }
}
