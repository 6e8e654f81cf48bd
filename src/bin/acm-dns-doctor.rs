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
    let (arns, dump, regions, opts) = match cli.command {
        Command::Check {
            arns,
            dump_evidence,
            opts,
        } => (Some(arns), dump_evidence, Vec::new(), opts),
        Command::Sweep { regions, opts } => (None, None, regions, opts),
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
