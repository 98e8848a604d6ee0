//! What the benchmarks share: wrk runs and their parsing, percentiles, peak memory, and the
//! ✓/✗ printed next to each goal. Uses no other benchmark module, so each can use it.

use std::process::Command;
use std::time::Duration;

use anyhow::Context;

/// ✓ when a goal is met, ✗ otherwise.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

pub struct Mesure {
    pub req_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs wrk and reads its requests/s and latency percentiles.
pub fn wrk(url: &str, duree: u32, connexions: u32) -> anyhow::Result<Mesure> {
    let sortie = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connexions}"),
            &format!("-d{duree}s"),
            "--latency",
            url,
        ])
        .output()
        .context("wrk")?;
    let texte = String::from_utf8_lossy(&sortie.stdout);
    anyhow::ensure!(sortie.status.success(), "wrk a échoué : {texte}");
    anyhow::ensure!(
        !texte.contains("Non-2xx"),
        "des réponses non 2xx pendant la charge : {texte}"
    );
    let champ = |prefixe: &str| -> Option<&str> {
        texte
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefixe))?
            .split_whitespace()
            .nth(1)
    };
    let req_s = champ("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("Requests/sec absent")?;
    let p50_ms = champ("50%").and_then(en_ms).context("p50 absent")?;
    let p99_ms = champ("99%").and_then(en_ms).context("p99 absent")?;
    Ok(Mesure {
        req_s,
        p50_ms,
        p99_ms,
    })
}

/// wrk prints `812.00us`, `1.23ms` or `1.02s`.
fn en_ms(v: &str) -> Option<f64> {
    if let Some(n) = v.strip_suffix("us") {
        n.parse::<f64>().ok().map(|x| x / 1000.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        n.parse().ok()
    } else if let Some(n) = v.strip_suffix('s') {
        n.parse::<f64>().ok().map(|x| x * 1000.0)
    } else {
        None
    }
}

/// p50 and p99 of client-side latencies, in milliseconds (NaN when there are none).
pub fn percentiles(mut l: Vec<Duration>) -> (f64, f64) {
    if l.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    l.sort();
    let rang = |p: f64| l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1];
    (
        rang(0.50).as_secs_f64() * 1000.0,
        rang(0.99).as_secs_f64() * 1000.0,
    )
}

/// Peak resident memory of a process (VmHWM), in KiB.
pub fn rss_max_kio(pid: u32) -> Option<u64> {
    let statut = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    statut
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::en_ms;

    #[test]
    fn les_unites_de_wrk_sont_converties_en_millisecondes() {
        assert_eq!(en_ms("812.00us"), Some(0.812));
        assert_eq!(en_ms("1.50ms"), Some(1.5));
        assert_eq!(en_ms("1.02s"), Some(1020.0));
        assert_eq!(en_ms("abc"), None);
    }
}
