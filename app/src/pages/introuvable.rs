//! The 404 page: a real 404 status when rendered on the server.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn PageIntrouvable() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="introuvable">
            <h1>"Page introuvable"</h1>
            <p>"Cette page n'existe pas ou plus."</p>
            <A href="/">"Retour au catalogue"</A>
        </section>
    }
}
