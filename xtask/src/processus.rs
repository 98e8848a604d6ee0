//! Child processes started by `up`, `test` and `bench`, stopped gracefully (SIGTERM, then
//! SIGKILL), and waiting for one to answer over HTTP.

use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The started children, stopped in reverse order when dropped.
#[derive(Default)]
pub struct Enfants {
    liste: Vec<(String, Child)>,
}

impl Enfants {
    pub fn lancer(&mut self, nom: &str, cmd: &mut Command) -> anyhow::Result<u32> {
        let enfant = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("impossible de lancer {nom} : {e}"))?;
        let pid = enfant.id();
        self.liste.push((nom.to_owned(), enfant));
        Ok(pid)
    }

    /// The name of a child that has exited, if any.
    pub fn un_est_mort(&mut self) -> Option<String> {
        self.liste
            .iter_mut()
            .find_map(|(n, c)| matches!(c.try_wait(), Ok(Some(_))).then(|| n.clone()))
    }

    /// SIGTERM to each (newest first), up to 15 s to drain, then SIGKILL.
    pub fn arreter(&mut self) {
        while let Some((nom, mut enfant)) = self.liste.pop() {
            if matches!(enfant.try_wait(), Ok(Some(_))) {
                continue;
            }
            let _ = Command::new("kill")
                .args(["-TERM", &enfant.id().to_string()])
                .status();
            let debut = Instant::now();
            loop {
                match enfant.try_wait() {
                    Ok(Some(_)) => break,
                    _ if debut.elapsed() > Duration::from_secs(15) => {
                        eprintln!("! {nom} ne s'arrête pas : SIGKILL");
                        let _ = enfant.kill();
                        let _ = enfant.wait();
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(100)),
                }
            }
            println!("✓ {nom} arrêté");
        }
    }
}

impl Drop for Enfants {
    fn drop(&mut self) {
        self.arreter();
    }
}

/// A channel that receives one message on Ctrl-C or SIGTERM.
pub fn signal_d_arret() -> anyhow::Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })?;
    Ok(rx)
}

/// Waits until `url` answers 2xx, or fails after `delai`.
pub fn attendre_http(url: &str, delai: Duration) -> anyhow::Result<()> {
    let debut = Instant::now();
    loop {
        if ureq::get(url).call().is_ok() {
            return Ok(());
        }
        anyhow::ensure!(debut.elapsed() < delai, "{url} ne répond pas");
        std::thread::sleep(Duration::from_millis(200));
    }
}
