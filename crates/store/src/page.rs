//! Keyset pagination for the list queries. A cursor is the position after the last row
//! returned, so a page stays correct while new rows arrive (an offset would shift).

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// The largest page a caller may ask for, to bound the memory of one API response.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which page to return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// How many rows at most (1 to [`MAX_PAGE_SIZE`]; larger values are capped).
    pub limit: u32,
    /// The `next` cursor of the previous page; `None` for the first page.
    #[serde(default)]
    pub after: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: 100,
            after: None,
        }
    }
}

impl PageRequest {
    /// The first page of `limit` rows.
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    /// The page after `cursor`.
    pub fn after(limit: u32, cursor: impl Into<String>) -> Self {
        PageRequest {
            limit,
            after: Some(cursor.into()),
        }
    }

    /// The limit as used: at least 1, at most [`MAX_PAGE_SIZE`].
    pub(crate) fn effective_limit(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE_SIZE)
    }

    /// The row id the cursor points after. Cursors are opaque to callers; today they
    /// are a row id in decimal.
    pub(crate) fn after_id(&self, operation: &'static str) -> Result<Option<i64>, StoreError> {
        self.after
            .as_deref()
            .map(|cursor| {
                cursor.parse::<i64>().map_err(|_| StoreError::InvalidInput {
                    operation,
                    message: format!("malformed page cursor {cursor:?}"),
                })
            })
            .transpose()
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass this as [`PageRequest::after`] for the next page; `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows with their ids: the extra row, when
    /// present, only tells that there is a next page.
    pub(crate) fn from_rows(mut rows: Vec<(i64, T)>, limit: u32) -> Self {
        let limit = limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|(id, _)| id.to_string())
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(|(_, item)| item).collect(),
            next,
        }
    }
}
