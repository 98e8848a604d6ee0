//! Showing money as Swiss francs: `CHF 1’234.50`.

use rust_decimal::{Decimal, RoundingStrategy};

/// Formats an amount as `CHF 1’234.50` (Swiss apostrophe between thousands, two decimals).
pub fn chf(montant: Decimal) -> String {
    let arrondi = montant.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let texte = format!("{:.2}", arrondi.abs());
    let (entiers, centimes) = texte.split_once('.').unwrap_or((&texte, "00"));
    let mut groupes = String::new();
    for (i, c) in entiers.chars().enumerate() {
        if i > 0 && (entiers.len() - i) % 3 == 0 {
            groupes.push('’');
        }
        groupes.push(c);
    }
    let signe = if arrondi.is_sign_negative() && !arrondi.is_zero() {
        "-"
    } else {
        ""
    };
    format!("CHF {signe}{groupes}.{centimes}")
}

#[cfg(test)]
mod tests {
    use super::chf;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn les_montants_ont_deux_decimales_et_des_apostrophes() {
        assert_eq!(chf(d("0")), "CHF 0.00");
        assert_eq!(chf(d("12.5")), "CHF 12.50");
        assert_eq!(chf(d("999.99")), "CHF 999.99");
        assert_eq!(chf(d("1234.5")), "CHF 1’234.50");
        assert_eq!(chf(d("1234567.891")), "CHF 1’234’567.89");
        assert_eq!(chf(d("-5")), "CHF -5.00");
    }
}
