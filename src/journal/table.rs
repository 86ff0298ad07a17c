//! A batch's purchases as a table, one row each: [`BatchTable`].

use std::fmt;

use super::{BatchError, BatchOutcome, BatchTotals, BatchVerdict, PurchaseOutcome};

/// The columns of a [`BatchTable`].
const HEADINGS: [&str; 5] = ["purchase", "result", "orders", "subscriptions", "to do"];

/// A summary of a batch's purchases for an operator: a row each, with the
/// name the caller gives it, what it came to, how many orders and
/// subscriptions it made, and what is left to do (the line items to buy
/// again, or the error), then the verdict and the totals.
///
/// ```text
/// purchase                              result    orders  subscriptions  to do
/// 28045616-f6b9-462f-9701-0d89b5e65c44  complete  2       2              -
/// 5f0c1b7e-2a6a-4c2f-9d1a-4b8a9ad60f4e  part      1       1              buy again: DZH318Z0BQ36:004G:DZH318Z08C0S x2 (rejected: …)
/// part bought: 2 purchases: 1 complete, 1 part, 0 nothing bought, 0 failed, 0 not started
/// ```
///
/// Each cell is one line: the line breaks of an error's message become
/// spaces. The service's text is escaped, as in [`PurchaseOutcome`]'s and
/// [`Error`](crate::Error)'s messages.
#[derive(Debug)]
pub struct BatchTable<'a> {
    rows: Vec<(String, &'a Result<PurchaseOutcome, BatchError>)>,
}

impl<'a> BatchTable<'a> {
    /// A table of named results, in the order given: those of a
    /// [`BatchOutcome`] ([`BatchOutcome::table`]), and any others the
    /// caller has, such as purchases that failed before the batch.
    pub fn new<N: fmt::Display>(
        rows: impl IntoIterator<Item = (N, &'a Result<PurchaseOutcome, BatchError>)>,
    ) -> BatchTable<'a> {
        BatchTable {
            rows: rows
                .into_iter()
                .map(|(name, result)| (name.to_string(), result))
                .collect(),
        }
    }

    /// How many of the rows came to what.
    pub fn totals(&self) -> BatchTotals {
        BatchTotals::of(self.rows.iter().map(|(_, result)| *result))
    }

    /// The verdict of the rows, as [`BatchOutcome::verdict`] gives it.
    pub fn verdict(&self) -> BatchVerdict {
        self.totals().verdict()
    }
}

impl BatchOutcome {
    /// The batch's results as a table, each named by the item of `names`
    /// at its position (such as its customer); results past the end of
    /// `names` are left out.
    pub fn table<N: fmt::Display>(&self, names: impl IntoIterator<Item = N>) -> BatchTable<'_> {
        BatchTable::new(names.into_iter().zip(&self.results))
    }
}

/// The cells of one row, but its name.
fn cells(result: &Result<PurchaseOutcome, BatchError>) -> [String; 4] {
    let dash = || "-".to_owned();
    match result {
        Ok(outcome) => {
            let subscriptions: usize = outcome
                .orders
                .iter()
                .map(|order| order.subscription_ids().count())
                .sum();
            let to_do: Vec<String> = outcome
                .to_buy_again
                .iter()
                .map(|item| format!("buy again: {item}"))
                .collect();
            [
                word(outcome).to_owned(),
                outcome.orders.len().to_string(),
                subscriptions.to_string(),
                if to_do.is_empty() {
                    dash()
                } else {
                    to_do.join("; ")
                },
            ]
        }
        Err(BatchError::Failed(error)) => {
            ["failed".into(), dash(), dash(), format!("error: {error}")]
        }
        Err(BatchError::NotStarted(_)) => ["not started".into(), dash(), dash(), dash()],
    }
}

/// What a purchase came to, in a word or two.
fn word(outcome: &PurchaseOutcome) -> &'static str {
    if outcome.is_complete() {
        "complete"
    } else if !outcome.orders_visible {
        "bought, orders not listed yet"
    } else if outcome.still_provisioning().next().is_some() {
        "provisioning"
    } else if outcome.bought_anything() {
        "part"
    } else {
        "nothing bought"
    }
}

impl fmt::Display for BatchTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<[String; 5]> = vec![HEADINGS.map(str::to_owned)];
        for (name, result) in &self.rows {
            let [result, orders, subscriptions, to_do] = cells(result);
            lines.push(
                [name.clone(), result, orders, subscriptions, to_do]
                    .map(|cell| cell.replace(['\n', '\r'], " ")),
            );
        }
        let mut widths = [0; 5];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for line in &lines {
            for (column, cell) in line.iter().enumerate().take(4) {
                write!(f, "{cell:<0$}  ", widths[column])?;
            }
            writeln!(f, "{}", line[4])?;
        }
        let totals = self.totals();
        write!(f, "{}: {totals}", totals.verdict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{BatchStop, StopCause, ToBuyAgain};

    #[test]
    fn a_table_lines_its_columns_up_and_ends_with_the_verdict() {
        let part = PurchaseOutcome {
            orders_visible: true,
            to_buy_again: vec![ToBuyAgain {
                catalog_item_id: "DZH318Z0BQ36:004G:DZH318Z08C0S".into(),
                quantity: 2,
                reason: "rejected:\nout of stock".into(),
            }],
            ..PurchaseOutcome::default()
        };
        let not_started = Err(BatchError::NotStarted(BatchStop {
            index: 0,
            cause: StopCause::TokenRefused,
            message: "401".into(),
        }));
        let rows = [Ok(part), not_started];
        let table = BatchTable::new(["first", "the second"].into_iter().zip(&rows)).to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("purchase    result"), "{table}");
        assert!(
            lines[1].starts_with("first       nothing bought  0       0"),
            "{table}"
        );
        assert!(
            lines[1].ends_with(
                "buy again: DZH318Z0BQ36:004G:DZH318Z08C0S x2 (rejected:\\nout of stock)"
            ),
            "{table}"
        );
        assert!(lines[2].starts_with("the second  not started"), "{table}");
        assert!(lines[3].starts_with("failed: 2 purchases"), "{table}");
        assert_eq!(
            BatchTable::new(rows.iter().map(|row| ("x", row))).verdict(),
            BatchVerdict::Failed
        );
    }
}
