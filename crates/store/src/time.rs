//! How instants are written in the database: UTC, RFC 3339, always with milliseconds
//! (`2026-05-01T12:00:00.000Z`). A fixed width makes text order equal time order, so
//! SQLite can compare and index them as plain strings, and the file stays readable in
//! the `sqlite3` shell. Precision below a millisecond is dropped.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// An instant as stored in a TEXT column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SqlTime(pub DateTime<Utc>);

/// The stored form of `t`.
pub(crate) fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl ToSql for SqlTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(format(self.0)))
    }
}

impl FromSql for SqlTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| SqlTime(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_order_is_time_order() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::TimeDelta::milliseconds(1);
        let c = a + chrono::TimeDelta::days(400);
        assert_eq!(format(a), "2026-01-02T03:04:05.000Z");
        assert!(format(a) < format(b));
        assert!(format(b) < format(c));
    }
}
