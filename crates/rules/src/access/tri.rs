//! Three-valued truth (Kleene logic): what a policy element says about a request when
//! part of the request context is unknown.
//!
//! `Unknown` means "could be either, depending on context Vigil does not have". The
//! connectives are the strong Kleene ones, so an answer that is `Yes` or `No` with some
//! keys unknown stays the same whatever values those keys turn out to have.

use std::ops::Not;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }

    /// `Yes` when any item is `Yes`; `No` for none at all.
    pub fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::No, Tri::or)
    }

    /// `No` when any item is `No`; `Yes` for none at all.
    pub fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::Yes, Tri::and)
    }

    pub fn is_yes(self) -> bool {
        self == Tri::Yes
    }

    pub fn is_no(self) -> bool {
        self == Tri::No
    }

    pub fn is_unknown(self) -> bool {
        self == Tri::Unknown
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tri::Yes => "yes",
            Tri::No => "no",
            Tri::Unknown => "unknown",
        }
    }
}

impl Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl From<bool> for Tri {
    fn from(value: bool) -> Tri {
        if value { Tri::Yes } else { Tri::No }
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::{self, No, Unknown, Yes};

    const ALL: [Tri; 3] = [Yes, No, Unknown];

    /// Kleene's connectives agree with Boolean logic on known values and are sound on
    /// unknown ones: a definite result holds for both completions of an unknown input.
    #[test]
    fn connectives_are_sound_for_every_completion() {
        let completions = |t: Tri| match t {
            Unknown => vec![true, false],
            Yes => vec![true],
            No => vec![false],
        };
        for a in ALL {
            for b in ALL {
                for (op, f) in [
                    (
                        Tri::and as fn(Tri, Tri) -> Tri,
                        (|x, y| x && y) as fn(bool, bool) -> bool,
                    ),
                    (Tri::or, |x, y| x || y),
                ] {
                    let r = op(a, b);
                    let outs: Vec<bool> = completions(a)
                        .into_iter()
                        .flat_map(|x| completions(b).into_iter().map(move |y| f(x, y)))
                        .collect();
                    match r {
                        Yes => assert!(outs.iter().all(|&o| o)),
                        No => assert!(outs.iter().all(|&o| !o)),
                        Unknown => assert!(outs.contains(&true) && outs.contains(&false)),
                    }
                }
            }
            assert_eq!(!!a, a);
        }
        assert_eq!(Tri::any([]), No);
        assert_eq!(Tri::all([]), Yes);
        assert_eq!(Tri::any([No, Unknown]), Unknown);
        assert_eq!(Tri::all([Yes, Unknown, No]), No);
    }
}
