//! Where the cores went during a benchmark phase: CPU time per program, read from /proc.
//!
//! Everything runs on one 2-core box, so a figure only means something next to what the
//! database, the broker, the load generator and the kernel took meanwhile.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Clock ticks per second for /proc's utime/stime (USER_HZ, 100 on Linux x86 and arm).
const TICKS_PAR_SECONDE: f64 = 100.0;

/// CPU time (in ticks) per process, keyed by pid, with the program's name.
pub struct Releve {
    quand: Instant,
    processus: HashMap<u32, (String, u64)>,
}

impl Releve {
    pub fn maintenant() -> Self {
        let mut processus = HashMap::new();
        if let Ok(entrees) = std::fs::read_dir("/proc") {
            for e in entrees.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                    continue;
                };
                if let Some(p) = lire(pid) {
                    processus.insert(pid, p);
                }
            }
        }
        Releve {
            quand: Instant::now(),
            processus,
        }
    }

    /// Share of one core used by each program since `avant`, largest first (a process born
    /// meanwhile counts whole; one that died meanwhile is missing).
    pub fn depuis(&self, avant: &Releve) -> (Duration, Vec<(String, f64)>) {
        let duree = self.quand - avant.quand;
        let mut par_nom: HashMap<&str, u64> = HashMap::new();
        for (pid, (nom, ticks)) in &self.processus {
            let avant = avant
                .processus
                .get(pid)
                .filter(|(n, _)| n == nom)
                .map_or(0, |(_, t)| *t);
            *par_nom.entry(nom).or_default() += ticks.saturating_sub(avant);
        }
        let secondes = duree.as_secs_f64().max(0.001);
        let mut parts: Vec<(String, f64)> = par_nom
            .into_iter()
            .map(|(nom, t)| {
                (
                    nom.to_owned(),
                    100.0 * t as f64 / TICKS_PAR_SECONDE / secondes,
                )
            })
            .filter(|(_, pct)| *pct >= 0.5)
            .collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        (duree, parts)
    }
}

/// `(name, utime + stime)`; kernel threads are gathered under one name.
fn lire(pid: u32) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name sits in parentheses and may itself hold spaces or parentheses.
    let ouverture = stat.find('(')?;
    let fermeture = stat.rfind(')')?;
    let nom = &stat[ouverture + 1..fermeture];
    let champs: Vec<&str> = stat[fermeture + 2..].split_whitespace().collect();
    // After the name: state(0) ppid(1) … utime(11) stime(12).
    let ppid: u32 = champs.get(1)?.parse().ok()?;
    let utime: u64 = champs.get(11)?.parse().ok()?;
    let stime: u64 = champs.get(12)?.parse().ok()?;
    let nom = if pid == 2 || ppid == 2 {
        "noyau (kworker, kswapd…)".to_owned()
    } else {
        nom.to_owned()
    };
    Some((nom, utime + stime))
}

/// One line: each program's share of the cores over the interval (`postgres 56, …`).
pub fn resume(parts: &[(String, f64)]) -> String {
    parts
        .iter()
        .map(|(nom, pct)| format!("{nom} {pct:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_processus_courant_est_releve_sous_son_nom() {
        let (nom, _) = lire(std::process::id()).expect("/proc/self/stat lisible");
        assert!(!nom.is_empty());
    }

    #[test]
    fn du_travail_fait_entre_deux_releves_est_compte() {
        let moi = std::process::id();
        let avant = Releve::maintenant();
        let (nom, ticks_avant) = lire(moi).unwrap();
        // Busy until this process has used 0.3 s of CPU, however loaded the machine is (and
        // at most 10 s, so a misread counter fails below instead of spinning forever).
        let debut = Instant::now();
        let mut x = 0u64;
        while lire(moi).unwrap().1 < ticks_avant + 30 && debut.elapsed() < Duration::from_secs(10) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        let (duree, parts) = Releve::maintenant().depuis(&avant);
        let part = parts.iter().find(|(n, _)| *n == nom).map_or(0.0, |p| p.1);
        let secondes_cpu = part / 100.0 * duree.as_secs_f64();
        assert!(secondes_cpu >= 0.29, "{secondes_cpu} s de CPU comptées");
    }
}
