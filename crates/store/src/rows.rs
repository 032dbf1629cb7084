//! Decoding helpers shared by both stores: typed ids and enums out of text columns.

use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::StoreError;

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, StoreError> {
    row.try_get::<String, _>(col).map_err(StoreError::Database)
}

pub(crate) fn text_opt(row: &AnyRow, col: &str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(col)
        .map_err(StoreError::Database)
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, StoreError> {
    row.try_get::<i64, _>(col).map_err(StoreError::Database)
}

pub(crate) fn int_opt(row: &AnyRow, col: &str) -> Result<Option<i64>, StoreError> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(StoreError::Database)
}

pub(crate) fn blob(row: &AnyRow, col: &str) -> Result<Vec<u8>, StoreError> {
    row.try_get::<Vec<u8>, _>(col).map_err(StoreError::Database)
}

pub(crate) fn id<T: FromStr>(row: &AnyRow, col: &'static str) -> Result<T, StoreError> {
    text(row, col)?
        .parse()
        .map_err(|_| StoreError::Corrupt { what: col })
}

pub(crate) fn id_opt<T: FromStr>(row: &AnyRow, col: &'static str) -> Result<Option<T>, StoreError> {
    text_opt(row, col)?
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt { what: col }))
        .transpose()
}
