//! Facts about one value of the inventory, worked out once per evaluation pass on a
//! thread instead of once per rule that asks.
//!
//! Twenty-nine security-group rules each ask `cidr_is_internet(r.cidr)` and
//! `opens_any_port(r, [...])` of every ingress entry of a group: the block's answer and
//! the entry's protocol and port range are the same for all of them. A small
//! direct-mapped table remembers them by the address of the value they were read from.
//!
//! An address names a value only while the value lives and does not change: the table
//! is used only while [`arm`]ed, which the evaluation loop does for a chunk of resources
//! it holds borrowed from an inventory that cannot change meanwhile. Every arming gets a
//! generation of its own, and a slot answers only for the generation that filled it, so
//! nothing is carried from one pass, or one inventory, to the next. A text is keyed by
//! its address and length, so a shorter text at the same address is another key.

use std::cell::{Cell, RefCell};

use vigil_inventory::Value as Json;

use crate::helpers::net::Opens;

/// Slots in the table: a resource's ingress entries (a handful, dozens at most) and
/// their blocks fit with room to spare; a collision only costs working a fact out again.
const SLOTS: usize = 64;

#[derive(Clone, Copy)]
enum Fact {
    Empty,
    /// `cidr_is_internet` of a text; `None` when it is not a block.
    Internet(Option<bool>),
    /// What a security-group or NACL entry opens; `None` when it has no such shape.
    Opens(Option<Opens>),
}

#[derive(Clone, Copy)]
struct Slot {
    generation: u64,
    address: usize,
    len: usize,
    fact: Fact,
}

const EMPTY: Slot = Slot {
    generation: 0,
    address: 0,
    len: 0,
    fact: Fact::Empty,
};

thread_local! {
    /// The generation in force on this thread; 0 when the table is not armed.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The next generation to hand out on this thread.
    static NEXT: Cell<u64> = const { Cell::new(1) };
    static TABLE: RefCell<[Slot; SLOTS]> = const { RefCell::new([EMPTY; SLOTS]) };
}

/// The table is in use on this thread until the guard is dropped. Nested arming (a
/// thread that, waiting inside one chunk, is handed another) gets a generation of its
/// own and gives the outer one back when it ends.
pub(crate) fn arm() -> Armed {
    let generation = NEXT.get();
    NEXT.set(generation + 1);
    Armed {
        previous: GENERATION.replace(generation),
    }
}

/// See [`arm`].
pub(crate) struct Armed {
    previous: u64,
}

impl Drop for Armed {
    fn drop(&mut self) {
        GENERATION.set(self.previous);
    }
}

#[inline]
fn slot_of(address: usize) -> usize {
    // Fibonacci hashing of the address without its alignment bits.
    ((address as u64 >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros()))
        as usize
}

/// The fact remembered for (`address`, `len`) in this generation, else `work`'s,
/// remembered.
#[inline]
fn remember(
    address: usize,
    len: usize,
    read: impl Fn(Fact) -> Option<Fact>,
    work: impl FnOnce() -> Fact,
) -> Fact {
    let generation = GENERATION.get();
    if generation == 0 {
        return work();
    }
    let i = slot_of(address);
    let known = TABLE.with_borrow(|t| {
        let s = &t[i];
        (s.generation == generation && s.address == address && s.len == len)
            .then_some(s.fact)
            .and_then(&read)
    });
    if let Some(fact) = known {
        return fact;
    }
    let fact = work();
    TABLE.with_borrow_mut(|t| {
        t[i] = Slot {
            generation,
            address,
            len,
            fact,
        }
    });
    fact
}

/// `cidr_is_internet(text)` as `work` answers it, remembered for this text.
#[inline]
pub(super) fn internet(text: &str, work: impl FnOnce(&str) -> Option<bool>) -> Option<bool> {
    let read = |f| matches!(f, Fact::Internet(_)).then_some(f);
    match remember(text.as_ptr() as usize, text.len(), read, || {
        Fact::Internet(work(text))
    }) {
        Fact::Internet(answer) => answer,
        _ => unreachable!("a slot read as Internet holds Internet"),
    }
}

/// What the entry opens, as `work` reads it, remembered for this entry.
#[inline]
pub(super) fn opens(entry: &Json, work: impl FnOnce(&Json) -> Option<Opens>) -> Option<Opens> {
    let read = |f| matches!(f, Fact::Opens(_)).then_some(f);
    match remember(std::ptr::from_ref(entry) as usize, 0, read, || {
        Fact::Opens(work(entry))
    }) {
        Fact::Opens(answer) => answer,
        _ => unreachable!("a slot read as Opens holds Opens"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_from_the_table_only_while_armed_and_only_in_its_generation() {
        let text = String::from("10.0.0.0/8");
        let calls = Cell::new(0);
        let work = |_: &str| {
            calls.set(calls.get() + 1);
            Some(false)
        };
        // Not armed: worked out every time.
        internet(&text, work);
        internet(&text, work);
        assert_eq!(calls.get(), 2);
        {
            let _armed = arm();
            assert_eq!(internet(&text, work), Some(false));
            assert_eq!(internet(&text, work), Some(false));
            assert_eq!(calls.get(), 3, "the second ask is answered from the table");
            // A shorter text at the same address is another key.
            assert_eq!(internet(&text[..4], |_| Some(true)), Some(true));
            assert_eq!(internet(&text[..4], |_| None), Some(true));
            {
                // A nested arming gives the outer generation back when it ends.
                let _inner = arm();
            }
            assert_eq!(internet(&text[..4], |_| None), Some(true));
            {
                // A nested arming does not see the outer generation's facts.
                let _inner = arm();
                assert_eq!(internet(&text[..4], |_| None), None);
            }
        }
        // A new pass starts afresh.
        let _again = arm();
        internet(&text, work);
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn an_entry_is_read_once_per_pass() {
        let entry = Json::String("tcp".into());
        let calls = Cell::new(0);
        let work = |_: &Json| {
            calls.set(calls.get() + 1);
            Some(Opens::Range(22, 22))
        };
        let _armed = arm();
        assert_eq!(opens(&entry, work), Some(Opens::Range(22, 22)));
        assert_eq!(opens(&entry, work), Some(Opens::Range(22, 22)));
        assert_eq!(calls.get(), 1);
    }
}
