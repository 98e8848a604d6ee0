//! The benchmark ceiling: a bare axum handler serving a JSON file from memory.
//!
//! Built in release like the services, run as its own process, so the comparison with a
//! service differs only by what the service does per request.
//! Usage: `plafond <port> <chemin> <fichier.json> <x-total-count>`.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, chemin, fichier, total] = args.as_slice() else {
        anyhow::bail!("usage : plafond <port> <chemin> <fichier.json> <x-total-count>");
    };
    let port: u16 = port.parse()?;
    let total = total.clone();
    let corps = axum::body::Bytes::from(std::fs::read(fichier)?);
    tokio::runtime::Runtime::new()?.block_on(async move {
        let app = axum::Router::new().route(
            chemin,
            axum::routing::get(move || {
                let corps = corps.clone();
                let total = total.clone();
                async move {
                    (
                        [
                            ("content-type", "application/json".to_owned()),
                            ("x-total-count", total),
                        ],
                        corps,
                    )
                }
            }),
        );
        let ecoute = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(ecoute, app).await?;
        Ok(())
    })
}
