//! Who works at a ward and whose desk a dossier is on: the two staff roles and the two stages
//! of processing. Their serde names are the words stored in the database and sent to the
//! browser (`officer`, `leader`).

use crate::domain::status::Actor;

/// Implements `Serialize` and `Deserialize` for a fieldless enum through its own `$to(self) ->
/// &'static str` and `$from(&str) -> Option<Self>`, so that the browser bundle holds one copy
/// of the names instead of the derive's several.
macro_rules! wire_words {
    ($t:ty, $to:ident, $from:ident) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.$to())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                <$t>::$from(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {}: {s}", stringify!($t)))
                })
            }
        }
    };
}
pub(crate) use wire_words;

/// A staff role at one ward, granted by an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// One-stop counter officer: receives, processes and hands over.
    Officer,
    /// Ward leader: approves results, stops processing, hands work on.
    Leader,
}

impl Role {
    /// Every role, in the order an administrator's list shows them.
    pub const ALL: [Role; 2] = [Role::Officer, Role::Leader];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Leader => "leader",
        }
    }

    /// The role stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The actor of the national status list this role acts as.
    pub fn actor(self) -> Actor {
        match self {
            Role::Officer => Actor::Officer,
            Role::Leader => Actor::Leader,
        }
    }
}

/// Whose desk a dossier in processing is on. It starts with the officers; forwarding puts it
/// on the leader's desk, approving or sending back returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Stage {
    /// With the ward's officers.
    #[default]
    Officer,
    /// Waiting for the leader's approval.
    Leader,
}

impl Stage {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Officer => "officer",
            Stage::Leader => "leader",
        }
    }

    /// The stage stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Stage> {
        [Stage::Officer, Stage::Leader]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

wire_words!(Role, as_str, parse);
wire_words!(Stage, as_str, parse);

impl Actor {
    /// The name recorded with a timeline step and an audit row (`resident`, `officer`,
    /// `leader`, `system`).
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Resident => "resident",
            Actor::Officer => "officer",
            Actor::Leader => "leader",
            Actor::System => "system",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_stored_words() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Stage::parse("leader"), Some(Stage::Leader));
        assert_eq!(
            serde_json::to_string(&Stage::Officer).unwrap(),
            "\"officer\""
        );
        assert_eq!(Role::Leader.actor().as_str(), "leader");
    }
}
