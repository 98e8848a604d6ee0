//! Dates as a Swiss customer reads them: Swiss time, `28.11.2026 09:00`, and the time left
//! to pay as `14:32`.
//!
//! The server renders pages in UTC and the browser's zone is unknown to it, so both sides
//! convert with the Swiss rule itself (CET, and CEST from the last Sunday of March to the last
//! Sunday of October, switching at 01:00 UTC) — the same text on the server and in the WASM,
//! without a time-zone database in the bundle.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

/// The last Sunday of `mois` (March or October here).
fn dernier_dimanche(annee: i32, mois: u32) -> NaiveDate {
    let premier_du_suivant = if mois == 12 {
        NaiveDate::from_ymd_opt(annee + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(annee, mois + 1, 1)
    }
    .expect("a month that exists");
    let dernier = premier_du_suivant.pred_opt().expect("a day before it");
    // 0 on a Sunday.
    let recul = dernier.weekday().num_days_from_sunday();
    dernier - Duration::days(i64::from(recul))
}

/// Whether Switzerland is on summer time (UTC+2) at `t`.
fn heure_d_ete(t: DateTime<Utc>) -> bool {
    let annee = t.year();
    let debut = dernier_dimanche(annee, 3)
        .and_hms_opt(1, 0, 0)
        .expect("01:00");
    let fin = dernier_dimanche(annee, 10)
        .and_hms_opt(1, 0, 0)
        .expect("01:00");
    let t = t.naive_utc();
    debut <= t && t < fin
}

/// `t` on a Swiss wall clock.
pub fn heure_suisse(t: DateTime<Utc>) -> NaiveDateTime {
    let decalage = if heure_d_ete(t) { 2 } else { 1 };
    t.naive_utc() + Duration::hours(decalage)
}

// Written by hand rather than with chrono's `format`: its strftime interpreter would weigh
// on the WASM bundle for three fixed layouts.

/// `28.11.2026 09:00:12`, Swiss time (history entries happen seconds apart).
pub fn date_heure(t: DateTime<Utc>) -> String {
    let h = heure_suisse(t);
    format!(
        "{:02}.{:02}.{} {:02}:{:02}:{:02}",
        h.day(),
        h.month(),
        h.year(),
        h.hour(),
        h.minute(),
        h.second()
    )
}

/// `28.11.2026 à 09:00`, Swiss time.
pub fn date_courte(t: DateTime<Utc>) -> String {
    let h = heure_suisse(t);
    format!(
        "{:02}.{:02}.{} à {:02}:{:02}",
        h.day(),
        h.month(),
        h.year(),
        h.hour(),
        h.minute()
    )
}

/// For a `<time datetime>`: `2026-11-28T08:00:12Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The time left, `mm:ss` (or `h:mm:ss` from an hour); `None` once it is over.
pub fn temps_restant(echeance: DateTime<Utc>, maintenant: DateTime<Utc>) -> Option<String> {
    let secondes = (echeance - maintenant).num_seconds();
    if secondes <= 0 {
        return None;
    }
    let (h, m, s) = (secondes / 3600, secondes / 60 % 60, secondes % 60);
    Some(if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    })
}

/// The same duration for a `<time datetime>`: `PT14M32S`.
pub fn duree_iso(echeance: DateTime<Utc>, maintenant: DateTime<Utc>) -> String {
    let secondes = (echeance - maintenant).num_seconds().max(0);
    format!("PT{}M{}S", secondes / 60, secondes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(annee: i32, mois: u32, jour: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(annee, mois, jour, h, m, s).unwrap()
    }

    #[test]
    fn l_heure_suisse_suit_l_heure_d_hiver_et_l_heure_d_ete() {
        // Winter: UTC+1.
        assert_eq!(
            date_heure(utc(2026, 11, 28, 8, 0, 12)),
            "28.11.2026 09:00:12"
        );
        // Summer: UTC+2.
        assert_eq!(
            date_courte(utc(2026, 7, 1, 22, 30, 0)),
            "02.07.2026 à 00:30"
        );
        assert_eq!(iso(utc(2026, 7, 1, 22, 30, 5)), "2026-07-01T22:30:05Z");
    }

    #[test]
    fn le_changement_d_heure_a_lieu_le_dernier_dimanche_a_une_heure_utc() {
        // 2026: Sunday 29 March and Sunday 25 October.
        assert_eq!(
            dernier_dimanche(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            dernier_dimanche(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        assert_eq!(
            date_heure(utc(2026, 3, 29, 0, 59, 59)),
            "29.03.2026 01:59:59"
        );
        assert_eq!(date_heure(utc(2026, 3, 29, 1, 0, 0)), "29.03.2026 03:00:00");
        assert_eq!(
            date_heure(utc(2026, 10, 25, 0, 59, 59)),
            "25.10.2026 02:59:59"
        );
        assert_eq!(
            date_heure(utc(2026, 10, 25, 1, 0, 0)),
            "25.10.2026 02:00:00"
        );
    }

    #[test]
    fn le_temps_restant_se_lit_en_minutes_et_secondes_puis_s_arrete() {
        let echeance = utc(2026, 11, 28, 8, 15, 0);
        assert_eq!(
            temps_restant(echeance, utc(2026, 11, 28, 8, 0, 28)).as_deref(),
            Some("14:32")
        );
        assert_eq!(duree_iso(echeance, utc(2026, 11, 28, 8, 0, 28)), "PT14M32S");
        assert_eq!(
            temps_restant(echeance, utc(2026, 11, 28, 6, 14, 59)).as_deref(),
            Some("2:00:01")
        );
        assert_eq!(temps_restant(echeance, echeance), None);
        assert_eq!(temps_restant(echeance, utc(2026, 11, 28, 9, 0, 0)), None);
        assert_eq!(duree_iso(echeance, utc(2026, 11, 28, 9, 0, 0)), "PT0M0S");
    }
}
