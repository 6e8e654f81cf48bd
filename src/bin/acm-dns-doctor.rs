//! The CLI: `acm-dns-doctor check ARN...` and `acm-dns-doctor sweep`.

use acm_dns_doctor::config::DnsOptions;
use acm_dns_doctor::engine::Doctor;
use acm_dns_doctor::evidence::Evidence;
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
    /// Check these certificates (AWS region, credentials and endpoint from the standard AWS environment).
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
    #[command(flatten)]
    dns: DnsOptions,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (arns, dump, opts) = match cli.command {
        Command::Check {
            arns,
            dump_evidence,
            opts,
        } => (Some(arns), dump_evidence, opts),
        Command::Sweep { opts } => (None, None, opts),
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
    let sdk = acm_dns_doctor::aws::load_config().await;
    let mut doctor = Doctor::new(&sdk, opts.dns.dns_config());
    doctor.max_concurrency = opts.dns.max_concurrency.max(1);
    let arns = match arns {
        Some(a) => a,
        None => match doctor.swept().await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                if opts.verbose {
                    eprintln!("  detail: {}", e.detail());
                }
                return ExitCode::from(exit::NOT_CHECKED);
            }
        },
    };
    let (report, evidence) = doctor.examine(&arns).await;
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
