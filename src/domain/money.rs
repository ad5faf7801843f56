//! Money in Vietnamese đồng (VND). Always whole đồng in an `i64`: the đồng has no minor unit
//! in use.

use serde::{Deserialize, Serialize};

/// An amount in đồng.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct Vnd(pub i64);

fn group(amount: u64, sep: char) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

impl Vnd {
    /// Vietnamese style: `200.000 ₫` (dot groups thousands).
    pub fn format_vi(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{} ₫", group(self.0.unsigned_abs(), '.'))
    }

    /// English style: `VND 200,000`.
    pub fn format_en(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}VND {}", group(self.0.unsigned_abs(), ','))
    }

    /// Adds two amounts, refusing overflow.
    pub fn checked_add(self, other: Vnd) -> Option<Vnd> {
        self.0.checked_add(other.0).map(Vnd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format_table() {
        let cases = [
            (0, "0 ₫", "VND 0"),
            (8_000, "8.000 ₫", "VND 8,000"),
            (200_000, "200.000 ₫", "VND 200,000"),
            (1_234_567, "1.234.567 ₫", "VND 1,234,567"),
            (-50_000, "-50.000 ₫", "-VND 50,000"),
            (
                i64::MIN,
                "-9.223.372.036.854.775.808 ₫",
                "-VND 9,223,372,036,854,775,808",
            ),
        ];
        for (amount, vi, en) in cases {
            assert_eq!(Vnd(amount).format_vi(), vi);
            assert_eq!(Vnd(amount).format_en(), en);
        }
    }

    proptest! {
        #[test]
        fn grouping_keeps_the_digits(n in 0i64..i64::MAX) {
            let s = Vnd(n).format_vi();
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert_eq!(digits, n.to_string());
        }
    }
}
