//! What the user is shown before anything is sent: one row per item with its size and
//! origin, and under each item held in memory its first lines.

use super::item::{human, Item};
use crate::cli::output::Table;

/// Lines shown of each item held in memory.
const PREVIEW_LINES: usize = 3;
/// Characters shown of each preview line.
const PREVIEW_WIDTH: usize = 100;

/// The summary table (for stderr).
pub fn render(items: &[Item]) -> String {
    let mut table = Table::new(&["item", "size", "from"]);
    for item in items {
        let mut from = item.source.clone();
        for note in &item.notes {
            from.push_str(&format!(" ({note})"));
        }
        table.push(vec![item.name.clone(), human(item.size()), from]);
        for line in preview(item) {
            table.push(vec![String::new(), String::new(), format!("| {line}")]);
        }
    }
    let total: u64 = items.iter().map(Item::size).sum();
    table.push(vec![
        "total".to_owned(),
        human(total),
        format!("{} items, plus manifest.json listing them", items.len()),
    ]);
    table.render()
}

/// The first non-empty lines of an item held in memory, each cut to a readable
/// width, and a last line saying how many more there are.
pub fn preview(item: &Item) -> Vec<String> {
    let Some(bytes) = item.in_memory() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let mut shown: Vec<String> = lines
        .iter()
        .take(PREVIEW_LINES)
        .map(|line| {
            let mut shown: String = line.chars().take(PREVIEW_WIDTH).collect();
            if line.chars().nth(PREVIEW_WIDTH).is_some() {
                shown.push('…');
            }
            shown
        })
        .collect();
    if lines.len() > PREVIEW_LINES {
        let more = lines.len() - PREVIEW_LINES;
        let unit = if more == 1 { "line" } else { "lines" };
        shown.push(format!("… {more} more {unit}"));
    }
    shown
}
