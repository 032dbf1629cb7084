//! Paging through list RPCs (`page_size`, `page_token` → `next_page_token`).

use std::future::Future;

use tonic::Status;

use super::error::CliError;

/// The largest page asked for when a limit is given; the server caps it anyway.
const MAX_PAGE_SIZE: usize = 1000;

/// One page: the items and the token of the next page (empty on the last page).
pub type Page<T> = (Vec<T>, String);

/// Calls `fetch(page_token, page_size)` until the last page, or until `limit` items
/// are collected, and returns the items in order.
///
/// A server that hands back the token it was just given would loop forever; that
/// is reported as an error instead.
pub async fn collect<T, F, Fut>(limit: Option<usize>, mut fetch: F) -> Result<Vec<T>, CliError>
where
    F: FnMut(String, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let page_size = limit.map_or(0, |limit| {
            let wanted = limit.saturating_sub(items.len()).min(MAX_PAGE_SIZE);
            u32::try_from(wanted).unwrap_or(u32::MAX)
        });
        let (mut page, next) = fetch(token.clone(), page_size).await?;
        items.append(&mut page);
        if let Some(limit) = limit {
            if items.len() >= limit {
                items.truncate(limit);
                break;
            }
        }
        if next.is_empty() {
            break;
        }
        if next == token {
            return Err(CliError::failed(
                "the gateway returned the same page token twice; stopping",
            ));
        }
        token = next;
    }
    Ok(items)
}
