//! The CLI: `acm-dns-doctor check ARN...` and `acm-dns-doctor sweep`.

use acm_dns_doctor::aws::fleet::{Fleet, parse_roles};
use acm_dns_doctor::config::{RunOptions, parse_regions};
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::evidence::Evidence;
use acm_dns_doctor::progress::Progress;
use acm_dns_doctor::report::Report;
use acm_dns_doctor::{arn, exit};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Why an ACM certificate is stuck in Pending validation, and the exact fix.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check these certificates (each in the account and Region its ARN names; credentials and
    /// endpoint from the standard AWS environment).
    Check {
        /// Certificate ARNs.
        #[arg(required = true)]
        arns: Vec<String>,
        /// Write the evidence gathered (a JSON array, one entry per certificate read) to FILE.
        #[arg(long, value_name = "FILE")]
        dump_evidence: Option<PathBuf>,
        #[command(flatten)]
        opts: Opts,
    },
    /// Plan (and with --apply, make) the Route 53 changes that let ACM validate these
    /// certificates: the exact validation CNAME in the live public zone.
    Fix {
        /// Certificate ARNs.
        #[arg(required = true)]
        arns: Vec<String>,
        /// Send the change batches, wait for INSYNC, then check again and print the new verdict.
        #[arg(long)]
        apply: bool,
        /// Also delete wrong records: only those that carry the certificate's own validation
        /// token (at the doubled name, a near-miss name, or beside the CNAME).
        #[arg(long)]
        delete_wrong: bool,
        /// How long --apply waits for INSYNC and for the record to be served, seconds.
        #[arg(long, default_value_t = 120)]
        wait_secs: u64,
        #[command(flatten)]
        opts: Opts,
    },
    /// Check every Amazon-issued certificate that is PENDING_VALIDATION or ISSUED (all key types), like the Lambda's scheduled sweep.
    Sweep {
        /// Region to sweep (repeatable, or comma-separated; default: the AWS environment's Region).
        #[arg(long = "region", value_delimiter = ',', value_parser = region)]
        regions: Vec<String>,
        #[command(flatten)]
        opts: Opts,
    },
}

#[derive(clap::Args, Debug)]
struct Opts {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Show the AWS SDK's whole error chain for a certificate that could not be checked.
    #[arg(long, short)]
    verbose: bool,
    /// Member account role to assume for that account's certificates (repeatable, or comma-separated).
    #[arg(
        long = "account-role-arn",
        env = "ACCOUNT_ROLE_ARNS",
        value_delimiter = ','
    )]
    account_role_arns: Vec<String>,
    /// External id to pass when assuming a member role.
    #[arg(long, env = "EXTERNAL_ID")]
    external_id: Option<String>,
    #[command(flatten)]
    run: RunOptions,
}

fn region(v: &str) -> Result<String, String> {
    parse_regions(v)?
        .pop()
        .ok_or_else(|| "a Region name".to_owned())
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut fix = None;
    let (arns, dump, regions, opts) = match cli.command {
        Command::Check {
            arns,
            dump_evidence,
            opts,
        } => (Some(arns), dump_evidence, Vec::new(), opts),
        Command::Sweep { regions, opts } => (None, None, regions, opts),
        Command::Fix {
            arns,
            apply,
            delete_wrong,
            wait_secs,
            opts,
        } => {
            fix = Some((apply, delete_wrong, wait_secs));
            (Some(arns), None, Vec::new(), opts)
        }
    };
    // Refused before any call: a malformed ARN would only come back as ACM's less helpful error.
    if let Some(arns) = &arns {
        let bad: Vec<String> = arns
            .iter()
            .filter_map(|a| arn::parse(a).err())
            .map(|e| e.to_string())
            .collect();
        if !bad.is_empty() {
            for e in bad {
                eprintln!("error: {e}");
            }
            return ExitCode::from(exit::NOT_CHECKED);
        }
    }
    let roles = match parse_roles(&opts.account_role_arns, &[], None, "aws") {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: --account-role-arn: {e}");
            return ExitCode::from(exit::NOT_CHECKED);
        }
    };
    let sdk = acm_dns_doctor::aws::load_config().await;
    let fleet = Fleet::new(
        &sdk,
        roles,
        opts.external_id.clone(),
        opts.run.quotas.clone(),
    );
    let mut doctor = Doctor::with_fleet(fleet, opts.run.dns_config());
    doctor.max_concurrency = opts.run.max_concurrency.and_then(|c| c.0);
    if let (Some((apply, delete_wrong, wait)), Some(arns)) = (fix, &arns) {
        let wait = std::time::Duration::from_secs(wait);
        let out = acm_dns_doctor::remedy::fix(&doctor, arns, apply, delete_wrong, wait).await;
        return print_fix(&out, opts.format);
    }
    let mut scopes_failed = Vec::new();
    let arns = if let Some(a) = arns {
        a
    } else {
        let regions = if regions.is_empty() {
            vec![doctor.fleet.home_region()]
        } else {
            regions
        };
        let scopes = doctor.fleet.scopes(&regions);
        let (arns, failed) = doctor.swept_all(&scopes).await;
        for f in &failed {
            let account = f.account.as_deref().unwrap_or("own account");
            eprintln!("error: sweep of {account}, {}: {}", f.region, f.error);
        }
        if arns.is_empty() && !failed.is_empty() {
            return ExitCode::from(exit::NOT_CHECKED);
        }
        scopes_failed = failed;
        arns
    };
    let progress = Progress::new(arns.len());
    let (report, evidence) = doctor
        .examine(&arns, |done, total| progress.show(done, total))
        .await;
    progress.finish();
    let report = Report {
        scopes_failed,
        ..report
    };
    if let Some(path) = dump
        && let Err(e) = write_evidence(&path, &evidence)
    {
        eprintln!("error: writing {}: {e}", path.display());
        return ExitCode::from(exit::NOT_CHECKED);
    }
    match opts.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", report.to_json()),
    }
    // Each failure once, on stderr (the text report only counts them; the JSON has them too).
    for c in report.certificates.iter().filter(|c| c.error.is_some()) {
        eprintln!(
            "error: {}: {}",
            c.certificate_arn,
            c.error.as_deref().unwrap_or_default()
        );
        if opts.verbose
            && let Some(d) = &c.error_detail
        {
            eprintln!("  detail: {d}");
        }
    }
    ExitCode::from(report.exit_code())
}

fn write_evidence(path: &PathBuf, evidence: &[Evidence]) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(evidence).map_err(std::io::Error::other)?;
    std::fs::write(path, json + "\n")
}

/// Prints what `fix` planned and did; the exit status says whether it worked.
fn print_fix(out: &acm_dns_doctor::remedy::FixOutcome, format: Format) -> ExitCode {
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(out).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        ),
        Format::Text => {
            println!(
                "Plan{}:",
                if out.after.is_some() {
                    " (applied)"
                } else {
                    " (nothing is changed without --apply)"
                }
            );
            for p in &out.plans {
                print!("{}", acm_dns_doctor::fix::plan_text(p));
            }
            for a in &out.applied {
                println!(
                    "Route 53 zone {} ({}): {} change(s), {}{}",
                    a.zone_name,
                    a.zone_id,
                    a.changes.len(),
                    a.status,
                    a.change_id
                        .as_deref()
                        .map(|i| format!(", change {i}"))
                        .unwrap_or_default()
                );
                if let Some(e) = &a.error {
                    println!("  failed, nothing changed in this zone: {e}");
                }
            }
            if let Some(after) = &out.after {
                println!("\nNow:\n");
                print!("{}", after.to_text());
            }
        }
    }
    let not_checked = out
        .plans
        .iter()
        .any(|p| p.refused.iter().any(|r| r.why.starts_with("not checked")));
    if not_checked || out.applied.iter().any(|a| !a.accepted()) {
        return ExitCode::from(exit::NOT_CHECKED);
    }
    match &out.after {
        Some(after) => ExitCode::from(after.exit_code()),
        None => ExitCode::from(exit::OK),
    }
}
