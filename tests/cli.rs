//! The `acm-dns-doctor` binary: output formats and exit status, against moto and a loopback internet.

mod common;

use acm_dns_doctor_testkit::dns::{Internet, World};
use common::{Lab, OTHER_HOSTS};
use std::process::Output;

fn run(endpoint: &str, world: &World, args: &[&str]) -> Output {
    run_as(endpoint, world, args, true)
}

/// The CLI with a clean environment; `credentials` false leaves out every credential.
fn run_as(endpoint: &str, world: &World, args: &[&str], credentials: bool) -> Output {
    let mut all = args.to_vec();
    all.extend(["--dns-timeout-ms", "700"]);
    let mut cmd = common::cli(
        env!("CARGO_BIN_EXE_acm-dns-doctor"),
        endpoint,
        world,
        &all,
        credentials,
    );
    cmd.output().expect("run acm-dns-doctor")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_and_exit_status() {
    let lab = Lab::new().await;
    let (bad, rec) = lab.request("cli-shop.com", &[]).await;
    let (good, good_rec) = lab.request("cli-ok.com", &[]).await;
    let mut net = Internet::new();
    net.zone(
        "cli-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 TXT \"x\"", rec.name),
    );
    net.zone(
        "cli-ok.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", good_rec.name, good_rec.value),
    );
    let world = net.start().await.unwrap();
    let endpoint = lab.moto.endpoint();

    let out = tokio::task::block_in_place(|| {
        run(
            &endpoint,
            &world,
            &["check", &good, &bad, "--format", "json"],
        )
    });
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs[0]["certificate_arn"], good.as_str());
    assert_eq!(certs[0]["findings"][0]["code"], "RECORD_OK");
    assert_eq!(certs[1]["status"], "PENDING_VALIDATION");
    let f = &certs[1]["findings"][0];
    assert_eq!(f["code"], "RECORD_MISSING");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["record_name"], rec.name.as_str());
    assert_eq!(f["domains"][0], "cli-shop.com");
    assert!(f["remedy"].as_str().unwrap().contains(&rec.value));

    let out = tokio::task::block_in_place(|| run(&endpoint, &world, &["check", &good]));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[INFO] RECORD_OK") && text.contains("Fix: Nothing to do"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_arn_and_unreachable_endpoint_exit_2_with_a_message() {
    let lab = Lab::new().await;
    let world = Internet::new().start().await.unwrap();
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
    let out = tokio::task::block_in_place(|| run(&lab.moto.endpoint(), &world, &["check", arn]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("certificate not found") && err.contains(arn),
        "{err}"
    );

    // Nothing listens on this port: the run fails for the certificate, with the cause.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("http://127.0.0.1:{port}");
    let out = tokio::task::block_in_place(|| run(&nowhere, &world, &["check", arn]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    // One line, said once, that names the service, the endpoint and the cause; not the SDK's chain.
    let want =
        format!("cannot reach ACM for acm:DescribeCertificate at {nowhere}: Connection refused");
    assert!(err.contains(&want), "{err}");
    assert_eq!(err.matches(arn).count(), 1, "{err}");
    assert!(!err.contains("DispatchFailure"), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(arn) && !text.contains("UNKNOWN"), "{text}");
    assert!(text.contains("1 could not be checked"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_arn_is_refused_before_any_call() {
    let world = Internet::new().start().await.unwrap();
    // Nothing listens here: had the CLI called ACM, it would say it cannot reach it.
    let nowhere = "http://127.0.0.1:9";
    let out = tokio::task::block_in_place(|| run(nowhere, &world, &["check", "not-an-arn"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("\"not-an-arn\" is not an ACM certificate ARN") && !err.contains("reach"),
        "{err}"
    );
    let out = tokio::task::block_in_place(|| {
        run(
            nowhere,
            &world,
            &["check", "arn:aws:iam::123456789012:server-certificate/x"],
        )
    });
    assert!(stderr(&out).contains("fewer than six") || stderr(&out).contains("\"iam\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_are_named_in_one_line() {
    let world = Internet::new().start().await.unwrap();
    let nowhere = "http://127.0.0.1:9";
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
    let out = tokio::task::block_in_place(|| run_as(nowhere, &world, &["check", arn], false));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(err.contains("set AWS_PROFILE"), "{err}");
    assert!(!err.contains("detail:"), "{err}");
    // --verbose adds the SDK's whole chain, once.
    let out = tokio::task::block_in_place(|| run_as(nowhere, &world, &["check", arn, "-v"], false));
    let err = stderr(&out);
    assert_eq!(err.matches("  detail: ").count(), 1, "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dumped_evidence_judges_the_same_without_a_world() {
    let lab = Lab::new().await;
    let (bad, rec) = lab.request("dump-shop.com", &["*.dump-shop.com"]).await;
    let mut net = Internet::new();
    net.zone(
        "dump-shop.com",
        &OTHER_HOSTS,
        &format!("{} 300 TXT \"x\"", rec.name),
    );
    let world = net.start().await.unwrap();
    let file = std::env::temp_dir().join(format!("evidence-{}.json", std::process::id()));
    let path = file.to_str().unwrap();
    let out = tokio::task::block_in_place(|| {
        run(
            &lab.moto.endpoint(),
            &world,
            &["check", &bad, "--format", "json", "--dump-evidence", path],
        )
    });
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let live: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    drop(world); // Judged again with no DNS and no AWS.
    let evidence: Vec<acm_dns_doctor::evidence::Evidence> =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    std::fs::remove_file(&file).ok();
    assert_eq!(evidence.len(), 1);
    assert!(!evidence[0].records.is_empty() && !evidence[0].caa.is_empty());
    let replayed = acm_dns_doctor::engine::judge(&evidence[0]);
    let replayed = serde_json::to_value(&replayed).unwrap();
    assert_eq!(replayed, live["certificates"][0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_checks_every_pending_certificate() {
    let lab = Lab::new().await;
    let (a, rec_a) = lab.request("sweep-one.com", &[]).await;
    let (b, _) = lab.request("sweep-two.com", &[]).await;
    let mut net = Internet::new();
    net.zone(
        "sweep-one.com",
        &OTHER_HOSTS,
        &format!("{} 300 CNAME {}", rec_a.name, rec_a.value),
    );
    net.zone("sweep-two.com", &OTHER_HOSTS, "");
    let world = net.start().await.unwrap();
    let out = tokio::task::block_in_place(|| {
        run(&lab.moto.endpoint(), &world, &["sweep", "--format", "json"])
    });
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let code_of = |arn: &str| {
        v["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["certificate_arn"] == arn)
            .map(|c| c["findings"][0]["code"].clone())
    };
    assert_eq!(code_of(&a), Some("RECORD_OK".into()));
    assert_eq!(code_of(&b), Some("RECORD_MISSING".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_covers_each_region_given_and_check_reads_each_arn_in_its_own() {
    let lab = Lab::new().await;
    let (home, _) = lab.request("here.far-away.com", &[]).await;
    let eu = aws_sdk_acm::Client::from_conf(
        aws_sdk_acm::config::Builder::from(&lab.sdk)
            .region(aws_config::Region::new("eu-west-1"))
            .build(),
    );
    let away = eu
        .request_certificate()
        .domain_name("there.far-away.com")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    let mut net = Internet::new();
    net.zone("far-away.com", &OTHER_HOSTS, "");
    let world = net.start().await.unwrap();
    let arns = |out: &Output| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut a: Vec<(String, String)> = v["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["certificate_arn"].as_str().unwrap().to_owned(),
                    c["region"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        a.sort();
        a
    };
    let mut both = vec![
        (home.clone(), "us-east-1".to_owned()),
        (away.clone(), "eu-west-1".to_owned()),
    ];
    both.sort();
    let endpoint = lab.moto.endpoint();
    // Only the environment's Region by default; each --region given otherwise.
    let out =
        tokio::task::block_in_place(|| run(&endpoint, &world, &["sweep", "--format", "json"]));
    assert_eq!(arns(&out), [(home.clone(), "us-east-1".to_owned())]);
    let out = tokio::task::block_in_place(|| {
        run(
            &endpoint,
            &world,
            &[
                "sweep",
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--format",
                "json",
            ],
        )
    });
    assert_eq!(arns(&out), both, "{}", stderr(&out));
    // `check` goes to each ARN's own Region, whatever AWS_REGION says.
    let out = tokio::task::block_in_place(|| {
        run(
            &endpoint,
            &world,
            &["check", &home, &away, "--format", "json"],
        )
    });
    assert_eq!(arns(&out), both, "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_run_shows_its_progress_on_stderr() {
    let lab = Lab::new().await;
    let world = Internet::new().start().await.unwrap();
    // A hundred certificates that do not exist: each is answered at once, and counted.
    let arns: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "arn:aws:acm:us-east-1:123456789012:certificate/{i:08}-0000-4000-8000-000000000000"
            )
        })
        .collect();
    let mut command = vec!["check"];
    command.extend(arns.iter().map(String::as_str));
    let out = tokio::task::block_in_place(|| run(&lab.moto.endpoint(), &world, &command));
    assert_eq!(out.status.code(), Some(2));
    let progress: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(progress.len(), 10, "{progress:?}");
    assert_eq!(progress[9], "progress: 100/100 certificates checked (100%)");
}
