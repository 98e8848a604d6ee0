//! The usual shape of a batch handler for [`super::consommer_par_lots`].
//!
//! Unreadable messages are poison at once; the readable ones are applied together (one
//! transaction, in the caller's `appliquer`); if that fails, each is applied alone, so one
//! message that breaks the transaction cannot hold back the others, and only what fails
//! alone is retried.

use std::future::Future;

use super::{Issue, Message};

/// One outcome per message, in order. `appliquer` gets the values it works on (cloned for the
/// one-by-one fallback: a borrowing async closure would not give a `Send` future).
pub async fn appliquer_par_lot<V, F, Fut>(
    messages: &[Message],
    lire: impl Fn(&Message) -> Result<V, String>,
    appliquer: F,
) -> Vec<Issue>
where
    V: Clone,
    F: Fn(Vec<V>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut issues: Vec<Option<Issue>> = Vec::with_capacity(messages.len());
    let mut rangs = Vec::new();
    let mut valides = Vec::new();
    for (rang, message) in messages.iter().enumerate() {
        match lire(message) {
            Ok(v) => {
                issues.push(None);
                rangs.push(rang);
                valides.push(v);
            }
            Err(raison) => issues.push(Some(Issue::Poison(raison))),
        }
    }
    if !valides.is_empty() {
        match appliquer(valides.clone()).await {
            Ok(()) => rangs.iter().for_each(|r| issues[*r] = Some(Issue::Traite)),
            Err(e) if valides.len() == 1 => {
                issues[rangs[0]] = Some(Issue::Reessayer(format!("{e:#}")));
            }
            Err(e) => {
                tracing::warn!(erreur = %format!("{e:#}"), "lot refusé : chaque message est repris seul");
                for (rang, un) in rangs.iter().zip(valides) {
                    issues[*rang] = Some(match appliquer(vec![un]).await {
                        Ok(()) => Issue::Traite,
                        Err(e) => Issue::Reessayer(format!("{e:#}")),
                    });
                }
            }
        }
    }
    issues
        .into_iter()
        .map(|i| i.unwrap_or_else(|| Issue::Reessayer("message sans issue".into())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn message(corps: &str) -> Message {
        Message {
            routing_key: "test".into(),
            message_id: None,
            corps: corps.as_bytes().to_vec(),
            tentatives: 0,
            span: tracing::Span::none(),
        }
    }

    fn lire(m: &Message) -> Result<i32, String> {
        std::str::from_utf8(&m.corps)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| "illisible".to_owned())
    }

    #[tokio::test]
    async fn un_lot_refuse_est_repris_message_par_message_et_seul_le_fautif_est_reessaye() {
        // Arrange: 13 breaks any transaction it is part of.
        let messages = [message("1"), message("x"), message("13"), message("4")];
        let appels = Rc::new(RefCell::new(Vec::new()));

        // Act
        let issues = appliquer_par_lot(&messages, lire, |lot: Vec<i32>| {
            let appels = appels.clone();
            async move {
                anyhow::ensure!(!lot.contains(&13), "contrainte violée");
                appels.borrow_mut().push(lot);
                Ok(())
            }
        })
        .await;

        // Assert
        assert!(matches!(issues[0], Issue::Traite));
        assert!(matches!(issues[1], Issue::Poison(_)));
        assert!(matches!(issues[2], Issue::Reessayer(_)));
        assert!(matches!(issues[3], Issue::Traite));
        // Only what succeeded was applied: the whole batch once failed, then 1 and 4 alone.
        assert_eq!(*appels.borrow(), vec![vec![1], vec![4]]);
    }

    #[tokio::test]
    async fn un_lot_accepte_est_applique_en_une_fois() {
        let messages = [message("1"), message("2")];
        let appels = Rc::new(RefCell::new(Vec::new()));
        let issues = appliquer_par_lot(&messages, lire, |lot: Vec<i32>| {
            let appels = appels.clone();
            async move {
                appels.borrow_mut().push(lot);
                Ok(())
            }
        })
        .await;
        assert!(issues.iter().all(|i| matches!(i, Issue::Traite)));
        assert_eq!(*appels.borrow(), vec![vec![1, 2]]);
    }
}
